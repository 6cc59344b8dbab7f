"""Reports: the whole-population analysis report (HTML and Excel) and its charts."""
