"""The respdeck browser (Textual). `launch.run_browse(path)` opens it; Textual loads only then."""
