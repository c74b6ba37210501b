"""Print _config.yml with notebook execution switched off (used by `make book-check`)."""
import pathlib
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
config = yaml.safe_load((root / "_config.yml").read_text())
config.setdefault("execute", {})["execute_notebooks"] = "off"
yaml.safe_dump(config, sys.stdout, sort_keys=False, allow_unicode=True)
