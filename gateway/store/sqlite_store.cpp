// Placeholder: lands with issue #4.
