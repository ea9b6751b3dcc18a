package render

import "tfconform/schema"

func sensitiveMarkKey() interface{} { return schema.Sensitive }
