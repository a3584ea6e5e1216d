// The pickers speak the page's language: Ukrainian months and days, the week from Monday,
// dates shown as дд.мм.рррр (sent to the server as рррр-мм-дд, the format its forms read),
// and Ukrainian messages in the select2 pickers. Loaded before Flask-Admin's form.js.
(function ($, moment) {
  'use strict';
  if (!$ || !moment) { return; }
  var lang = (document.documentElement.getAttribute('lang') || 'uk').slice(0, 2);
  if (lang !== 'uk') { return; }

  // moment answers an unknown locale with its global one (English): ask for Ukrainian by name
  var known = moment.localeData('uk');
  if (!known || known._abbr !== 'uk') {
    var define = moment.defineLocale || moment.locale || moment.lang;
    define.call(moment, 'uk', {
      months: 'січень_лютий_березень_квітень_травень_червень_липень_серпень_вересень_жовтень_листопад_грудень'.split('_'),
      monthsShort: 'січ_лют_бер_кві_тра_чер_лип_сер_вер_жов_лис_гру'.split('_'),
      weekdays: 'неділя_понеділок_вівторок_середа_четвер_пʼятниця_субота'.split('_'),
      weekdaysShort: 'нд_пн_вт_ср_чт_пт_сб'.split('_'),
      weekdaysMin: 'Нд_Пн_Вт_Ср_Чт_Пт_Сб'.split('_'),
      longDateFormat: { LT: 'HH:mm', L: 'DD.MM.YYYY', LL: 'D MMMM YYYY', LLL: 'D MMMM YYYY HH:mm', LLLL: 'dddd, D MMMM YYYY HH:mm' },
      week: { dow: 1, doy: 7 }
    });
  }
  if (moment.locale) { moment.locale('uk'); } else if (moment.lang) { moment.lang('uk'); }

  var SHOWN = 'DD.MM.YYYY', SENT = 'YYYY-MM-DD';
  var ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/, UA_DATE = /^(\d{2})\.(\d{2})\.(\d{4})$/;

  function localeOptions() {
    return {
      applyLabel: 'Застосувати', cancelLabel: 'Скасувати', fromLabel: 'З', toLabel: 'По',
      weekLabel: 'Т', customRangeLabel: 'Інший період',
      daysOfWeek: moment.weekdaysMin(), monthNames: moment.monthsShort(), firstDay: 1
    };
  }

  // Flask-Admin calls $el.daterangepicker({...format: 'YYYY-MM-DD'}): show the Ukrainian format instead.
  // A form page loads the picker after this file (Flask-Admin's form_js), a list page before it: the
  // wrapper goes on now if the picker is there, else when the page is ready — before form.js, whose
  // own ready handler is registered later, applies the pickers.
  function wrapPicker() {
    if (!$.fn.daterangepicker || $.fn.daterangepicker.portalWrapped) { return; }
    var original = $.fn.daterangepicker;
    $.fn.daterangepicker = function (options, callback) {
      options = $.extend({}, options || {});
      options.locale = $.extend(localeOptions(), options.locale || {});
      options.separator = ' — ';
      if (!options.timePicker && (options.format || SENT) === SENT) {
        options.format = SHOWN;
        this.each(function () {
          this.value = (this.value || '').split(' to ').map(function (part) {
            var m = ISO_DATE.exec($.trim(part));
            return m ? m[3] + '.' + m[2] + '.' + m[1] : part;
          }).join(' — ');
          $(this).attr('data-portal-date', '1').attr('placeholder', 'дд.мм.рррр');
        });
      }
      return original.call(this, options, callback);
    };
    $.fn.daterangepicker.prototype = original.prototype;
    $.fn.daterangepicker.portalWrapped = true;
  }
  wrapPicker();
  $(wrapPicker);

  // the calendar's month and year lists are redrawn at every turn of a month: name them each time
  function nameCalendarLists() {
    $('.daterangepicker select.monthselect:not([aria-label])').attr('aria-label', 'Місяць');
    $('.daterangepicker select.yearselect:not([aria-label])').attr('aria-label', 'Рік');
  }
  if (window.MutationObserver) {
    $(function () {
      new MutationObserver(nameCalendarLists).observe(document.body, { childList: true, subtree: true });
    });
  }

  // before a form leaves, the shown dates go back to the format the server reads
  function toSent(value) {
    return value.split(' — ').map(function (part) {
      var m = UA_DATE.exec($.trim(part));
      return m ? m[3] + '-' + m[2] + '-' + m[1] : part;
    }).join(' to ');
  }
  $(document).on('submit', 'form', function () {
    $(this).find('input[data-portal-date]').each(function () { this.value = toSent(this.value); });
  });

  if ($.fn.select2 && $.fn.select2.defaults) {
    $.extend($.fn.select2.defaults, {
      formatNoMatches: function () { return 'Нічого не знайдено'; },
      formatInputTooShort: function (input, min) { return 'Введіть ще ' + (min - input.length) + ' симв.'; },
      formatInputTooLong: function (input, max) { return 'Видаліть ' + (input.length - max) + ' симв.'; },
      formatSelectionTooBig: function (limit) { return 'Можна обрати не більше ' + limit; },
      formatLoadMore: function () { return 'Завантаження…'; },
      formatSearching: function () { return 'Пошук…'; },
      formatAjaxError: function () { return 'Не вдалося завантажити'; }
    });
  }

  // x-editable (inline edits in lists) is loaded later; its defaults are set before it is applied
  $(function () {
    if ($.fn.editable && $.fn.editable.defaults) {
      $.extend($.fn.editable.defaults, { emptytext: 'не вказано' });
    }
  });
}(window.jQuery, window.moment));
