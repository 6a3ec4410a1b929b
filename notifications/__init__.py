"""What goes out to people: email, reports and action links, rendered from Jinja2 templates."""
