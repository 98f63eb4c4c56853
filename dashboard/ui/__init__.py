"""Drawing: components, number formats, charts, maps, exports, safe text, local front-end assets."""
