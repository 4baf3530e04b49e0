"""Skeleton provider: copy this package to providers/<vendor>/ and fill in the TODOs.

See README.md in this folder for the steps.
"""

from stockflow.adapters.providers._template.provider import TemplateProvider

make_provider = TemplateProvider.from_settings

__all__ = ["TemplateProvider", "make_provider"]
