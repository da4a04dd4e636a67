"""The touch screen: a local web page for the cabinet's browser in kiosk mode."""
