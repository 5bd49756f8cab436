"""The Streamlit app: one page script per view in `pages/`, the run's key and cached calls
(`state`), shared rendering (`widgets`); `streamlit_app.py` at the repository root runs them."""
