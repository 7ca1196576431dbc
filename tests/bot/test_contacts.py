from __future__ import annotations

import pytest

from bot.contacts import ContactsError, load_contacts

ENTRY = """contacts:
  - id: emergency
    name: Emergency
    number: "999"
    hours: 24 hours
    when: Immediate danger.
    source_url: https://example.org/a
  - id: front_door
    name: Front Door
    number: "01234 567890"
    hours: Office hours
    when: Worried about a child.
    source_url: https://example.org/b
"""


def test_audience_defaults_to_all_and_is_read(tmp_path):
    path = tmp_path / "contacts.yml"
    path.write_text(ENTRY + "    audience: children\n")
    contacts = load_contacts(path)
    assert contacts["emergency"].audience == "all"
    assert contacts["front_door"].audience == "children"


def test_an_unknown_audience_is_refused_in_plain_words(tmp_path):
    path = tmp_path / "contacts.yml"
    path.write_text(ENTRY + "    audience: kids\n")
    with pytest.raises(ContactsError, match=r"front_door.*'kids'.*children, adults, all"):
        load_contacts(path)
