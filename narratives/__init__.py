"""Personas, product suggestions and campaign briefs from a segmentation run's profiles."""

from narratives.brief import Brief, render_brief, write_brief
from narratives.checks import AnswerRejected, check_answer
from narratives.config import LLMSettings, build_writer, settings_from_env, settings_with_key
from narratives.context import RunContext, SegmentContext, build_context
from narratives.llm import OpenAIWriter, make_client
from narratives.personas import Persona, PersonaDraft, PersonaWriter
from narratives.rules import RuleBasedWriter
from narratives.shelf import Product, Shelf, load_shelf

__all__ = [
    "AnswerRejected",
    "Brief",
    "LLMSettings",
    "OpenAIWriter",
    "Persona",
    "PersonaDraft",
    "PersonaWriter",
    "Product",
    "RuleBasedWriter",
    "RunContext",
    "SegmentContext",
    "Shelf",
    "build_context",
    "build_writer",
    "check_answer",
    "load_shelf",
    "make_client",
    "render_brief",
    "settings_from_env",
    "settings_with_key",
    "write_brief",
]
