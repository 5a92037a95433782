// The daemon lives here.
