"""Streamlit dashboard over the access-negotiation warehouse."""
