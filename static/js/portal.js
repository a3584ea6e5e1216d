// Portal behaviour without inline scripts (the CSP allows none without a nonce).
// The Flask-Admin template overrides in templates/admin/ carry data-* attributes instead of
// onclick="..." handlers; the handlers live here, delegated from the document.
(function ($) {
  'use strict';
  if (!$) { return; }

  // A form button that asks first (the delete icon in list rows).
  $(document).on('click', '[data-confirm]', function (event) {
    if (!window.confirm($(this).attr('data-confirm'))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  // "With selected" bulk actions of a list.
  $(document).on('click', '[data-model-action]', function (event) {
    event.preventDefault();
    if (window.modelActions) {
      window.modelActions.execute($(this).attr('data-model-action'));
    }
  });

  // Inline sub-forms: the "Add …" button.
  $(document).on('click', '[data-inline-add]', function (event) {
    event.preventDefault();
    if (window.faForm) {
      window.faForm.addInlineField(this, $(this).attr('data-inline-add'));
    }
  });

  // Links that only trigger script behaviour (filter names in the "Add filter" menu).
  $(document).on('click', 'a[data-prevent-default]', function (event) {
    event.preventDefault();
  });
}(window.jQuery));

// Scripted requests that change something send the page's CSRF token as a header.
(function ($) {
  'use strict';
  if (!$) { return; }
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) { return; }
  $.ajaxSetup({
    beforeSend: function (xhr, settings) {
      if (!/^(GET|HEAD|OPTIONS)$/i.test(settings.type) && !this.crossDomain) {
        xhr.setRequestHeader('X-CSRFToken', meta.getAttribute('content'));
      }
    }
  });
}(window.jQuery));

// Icon-only links and help icons get a name for screen readers (their tooltip text).
(function () {
  'use strict';
  var icons = document.querySelectorAll('a[data-role="tooltip"], a.fa:not([aria-label])');
  Array.prototype.forEach.call(icons, function (el) {
    var text = el.getAttribute('title') || el.getAttribute('data-original-title');
    if (text && !el.textContent.trim()) { el.setAttribute('aria-label', text); }
  });
}());

// Flask-Admin's blank choice of a picker reads "__None" with this WTForms: show a dash.
(function () {
  'use strict';
  Array.prototype.forEach.call(document.querySelectorAll('option[value="__None"]'), function (option) {
    if (option.textContent.trim() === '__None') { option.textContent = '—'; }
  });
}());

// An inline-edit link that shows only an icon (a yes/no cell) is named after its column.
(function () {
  'use strict';
  Array.prototype.forEach.call(document.querySelectorAll('td a[data-role^="x-editable"]'), function (link) {
    if (link.textContent.trim() || link.getAttribute('aria-label')) { return; }
    var cell = link.closest('td');
    var column = Array.prototype.find.call(cell.classList, function (c) { return c.indexOf('col-') === 0; });
    var header = column && document.querySelector('th.' + column);
    if (header) { link.setAttribute('aria-label', header.textContent.trim()); }
  });
}());
