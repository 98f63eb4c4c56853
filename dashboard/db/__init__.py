"""The dashboard's data layer, without Streamlit widgets: connection, scoped views, filters, queries."""
