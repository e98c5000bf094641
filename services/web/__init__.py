"""The web page for the province's officials: plain HTML/CSS/JS served next to the read API."""
