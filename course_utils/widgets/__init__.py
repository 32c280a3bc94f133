"""Interactive explorers (ipywidgets), one module per lesson topic.

Only the user interface lives here: what a widget shows for given control values is
computed by plain functions in the topic modules (data, scratch, summary, viz, ...),
which the tests call without a browser.
"""
