"""The page in English, or in Simplified Chinese for browsers that ask for it.

Every text lives in demo/locales/<language>.json, one file per language with the same keys:
- "page": texts fixed when the page is built (labels, intro, legend, notes), handed to Gradio's
  gr.I18n; the browser translates them with the language Gradio's frontend picks.
- "server": texts the server writes (messages while it answers, the about panels), as
  str.format templates; `language` picks the request's language the same way.
- "explorer", "canvas": the texts of the page's own scripts, which get both languages and show
  the one Gradio chose for the page (the <html lang> it sets).
"""

import json
from pathlib import Path

import gradio as gr
from gradio.i18n import I18nData

LOCALES = Path(__file__).resolve().parent / "locales"
ENGLISH, CHINESE = "en", "zh-CN"
TEXTS = {language: json.loads((LOCALES / f"{language}.json").read_text("utf-8")) for language in (ENGLISH, CHINESE)}
NAMESPACE = "rowscan"  # Gradio's own translations hold keys such as "radio": ours sit apart


def language(request: gr.Request | None) -> str:
    """The request's page language. Gradio's frontend takes the browser's first language
    (navigator.language, which browsers also send first in Accept-Language) and uses zh-CN's
    texts for exactly zh-CN, English's for anything else: so does this."""
    header = request.headers.get("accept-language", "") if request is not None else ""
    first = header.split(",")[0].split(";")[0].strip()
    return CHINESE if first.lower() == CHINESE.lower() else ENGLISH


def text(lang: str, key: str, **values) -> str:
    """A server text in language `lang`, its {fields} filled from `values`."""
    return TEXTS[lang]["server"][key].format(**values)


def page(key: str) -> str:
    """A page text, translated in the browser. A string (not gr.I18n's object), so it also
    works where a component takes only strings, such as a label."""
    return str(I18nData(f"{NAMESPACE}.{key}"))


def every_language(section: str) -> dict[str, dict]:
    """One section's texts in every language, for a script that picks the page's."""
    return {lang: texts[section] for lang, texts in TEXTS.items()}


def translations(extra: dict[str, dict[str, str]] | None = None) -> gr.I18n:
    """Gradio's I18n of every page text, plus `extra` texts per language made when the app is
    built (e.g. a model's about panel)."""
    return gr.I18n(**{lang: {NAMESPACE: {**texts["page"], **(extra or {}).get(lang, {})}} for lang, texts in TEXTS.items()})
