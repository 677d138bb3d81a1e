"""`respdeck resend`: a recorded request sent again (exactly, or edited), recorded like any
other exchange with a link to its original, and diffed against it.

`edit` (--set/--unset/--edit over the JSON body), `refuse` (why a request cannot be re-sent
faithfully), `estimate` (its cost, by the store's one cost definition), `plan` (the URL,
headers and body that go out), `original` (what the store says of the recorded one), `send`
and `websocket` (sending and recording through the recorder's capture and the store's
writer), `spread` (`--times N`), `run` (one run of the command, without its input and output).
"""
