"""The demo's catalogues (names, streets, executor bodies, appeal texts …) as UTF-8 JSON files.

Each ``data/<name>.json`` is read on first use and kept; tuples are stored as lists. Shapes:

- ``male_names``: [first name, patronymic (male), patronymic (female)]; ``female_names``: first names;
  ``surnames``: [male form, female form];
- ``streets``, ``mobile_codes``, ``routes``, ``organisations``, ``forward_bodies``, ``month_names``: strings;
- ``scenarios``: subtopic code → [[summary, detail]]; "{address}", "{street}", "{route}" are filled in;
- ``section_weights``: topic section → how often its subtopics come up (heating, water and housing
  lead, as in real life);
- ``openings``, ``requests``, ``feedback_results``, ``resolution_texts``, ``return_reasons``,
  ``not_considered_reasons``, ``extension_reasons``: texts; ``actions``: result code → texts;
- ``executors``: [name, short name, head's position, topic codes, e-mail local part];
  ``internal_executor``: the same for the center's own unit that answers for the quality of handling
  appeals;
- ``units``: [code, name, parent code, regulation summary];
- ``positions``: [unit code, title, posts, salary, allowances, supplements, occupied posts, is head].
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@functools.cache
def catalogue(name: str):
    """The catalogue ``data/<name>.json`` (read once per process)."""
    with open(DATA_DIR / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)
