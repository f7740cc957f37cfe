//! Drawing a wizard `Model`: theme, widgets, one pure function per screen.
