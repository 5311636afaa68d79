"""The Streamlit dashboard: pages (pages/) render and call the loaders; loaders.py is the only reader of data."""
