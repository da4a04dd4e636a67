"""Marshmallow schemas: separate load and dump schemas; loads refuse unknown fields."""
