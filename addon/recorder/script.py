"""Entry point for mitmproxy: `mitmdump -s addon/recorder/script.py --set respdeck_db=FILE`."""

from addon.recorder.hooks import Recorder

addons = [Recorder()]
