"""WordNet Explorer: browse, count and curate ImageNet's WordNet 3.0 hierarchy."""


def __getattr__(name: str) -> str:
    if name == "__version__":  # read on demand: importlib.metadata costs 30 ms at start-up
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("wordnet-explorer")
        except PackageNotFoundError:  # a source tree that is not installed
            return "0+unknown"
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
