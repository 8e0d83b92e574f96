"""Stage 7: renderers. A view model is built once (model.py) and rendered as JSON, CSV or HTML."""
