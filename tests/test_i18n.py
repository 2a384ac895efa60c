"""The two languages: the same keys and fields in each, and the request's language picked as
Gradio's frontend picks the page's."""

import re
import string
from types import SimpleNamespace

import pytest

from demo.i18n import CHINESE, ENGLISH, TEXTS, language, page, text

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def keys(tree: dict, prefix: str = "") -> dict[str, str]:
    """Every text in a locale by its path, e.g. "page.intro"."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(keys(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            flat.update(keys(dict(enumerate(value)), f"{prefix}{key}."))
        else:
            flat[prefix + str(key)] = value
    return flat


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_in_one_language_is_in_the_other():
    english, chinese = keys(TEXTS[ENGLISH]), keys(TEXTS[CHINESE])
    assert set(english) == set(chinese), set(english) ^ set(chinese)
    assert len(english) > 30


def test_each_text_has_the_same_fields_in_both_languages():
    english, chinese = keys(TEXTS[ENGLISH]), keys(TEXTS[CHINESE])
    for key, template in english.items():
        assert fields(template) == fields(chinese[key]), key


def words(value: str) -> set[str]:
    """The English words of a text: not its {fields}, names with _ (c_prev), or model names."""
    value = re.sub(r"\{\w+\}|\w*_\w*", "", value)
    return set(re.findall(r"[A-Za-z]{3,}", value)) - {"LSTM", "BiLSTM", "MNIST", "tanh"}


def test_chinese_texts_are_chinese_and_english_ones_are_not():
    english, chinese = keys(TEXTS[ENGLISH]), keys(TEXTS[CHINESE])
    assert not [key for key, value in english.items() if CJK.search(value)]
    # A Chinese text may keep formulas and names, but no English word left untranslated.
    left = [key for key, value in chinese.items() if not CJK.search(value) and words(value)]
    assert not left, left


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", CHINESE),
    ("zh-cn", CHINESE),
    ("en-US,en;q=0.9,zh-CN;q=0.8", ENGLISH),
    ("zh-TW,zh;q=0.9", ENGLISH),  # Gradio's frontend has zh-TW texts of its own, none of ours
    ("fr-FR", ENGLISH),
    ("", ENGLISH),
    ("\x00;;,,q=", ENGLISH),
])
def test_the_request_language_follows_the_browsers_first(header, expected):
    assert language(SimpleNamespace(headers={"accept-language": header})) == expected
    assert language(None) == ENGLISH


def test_server_texts_are_filled_in_either_language():
    assert text(ENGLISH, "about_title", model="BiLSTM") == "About the BiLSTM model"
    assert text(CHINESE, "about_title", model="BiLSTM") == "关于 BiLSTM 模型"
    assert page("intro").startswith("__i18n__") and '"rowscan.intro"' in page("intro")
