"""Cassettes for tests: the `respdeck` pytest plugin (record once through the real recorder,
replay offline on the replay server, misses explained in the report).

`plugin` holds the pytest hooks, fixtures and marker (registered as the `pytest11` entry point
`respdeck`); `modes` decides what a test does from its record mode; `cassette` is where a
cassette lives and how it is read, checked for secrets and written; `recording` runs the
recorder for one test; `frontdoor` serves `new_episodes` (replay what matches, record the
rest); `guard` keeps `none` mode off the network; `session` ties them together for one test.
Nothing heavy is imported before a test asks for a cassette.
"""
