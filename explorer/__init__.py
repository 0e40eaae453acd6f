"""WordNet Explorer: browse, count and curate ImageNet's WordNet 3.0 hierarchy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wordnet-explorer")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
