/*
 * A data source declared as a computed view of a resource (tf_block_view in tf.h): the resource's table, with the
 * lookup arguments required, every other attribute computed, and the values a user sets as secrets left out. One
 * table describes both, so they cannot drift apart.
 */
#include "tf_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *must_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL)
		fy_oom();
	return p;
}

static int listed(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
}

static const tf_object *view_object(const tf_object *o, const tf_view *v, const char *prefix);

/* A secret the user sets (api_key, a client secret) or a write-only value: never part of a read. */
static int user_secret(const tf_attribute *at)
{
	return (at->flags & TF_WRITE_ONLY) || ((at->flags & TF_SENSITIVE) && !(at->flags & TF_COMPUTED) && !at->nested);
}

/* prefix: "" at the top, "oauth2." inside a nested attribute (omit entries may name nested attributes so). */
static const tf_attribute *view_attrs(const tf_attribute *in, const tf_view *v, const char *prefix)
{
	int top = prefix[0] == '\0';
	size_t n = 0;
	while (in[n].name)
		n++;
	tf_attribute *out = must_calloc(n + 1, sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const tf_attribute *at = &in[i];
		char path[256];
		snprintf(path, sizeof path, "%s%s", prefix, at->name);
		if (user_secret(at) || listed(v->omit, path))
			continue;
		tf_attribute c = *at;
		c.default_json = NULL;
		c.deprecation = NULL;
		if (top && listed(v->required, at->name)) {
			c.flags = TF_REQUIRED;
		} else {
			c.flags = TF_COMPUTED | (at->flags & TF_SENSITIVE);
			c.validators = NULL;
			if (at->nested)
				c.nested = view_object(at->nested, v, path);
		}
		for (const tf_view_description *d = top ? v->descriptions : NULL; d && d->name; d++)
			if (strcmp(d->name, at->name) == 0)
				c.description = d->description;
		out[k++] = c;
	}
	return out;
}

static const tf_object *view_object(const tf_object *o, const tf_view *v, const char *path)
{
	char prefix[260];
	snprintf(prefix, sizeof prefix, "%s.", path);
	tf_object *out = must_calloc(1, sizeof(*out));
	out->attributes = view_attrs(o->attributes, v, prefix);
	return out;
}

const tf_block *tf_block_view(const tf_block *resource, const tf_view *v)
{
	tf_block *b = must_calloc(1, sizeof(*b));
	b->description = v->description ? v->description : resource->description;
	b->attributes = view_attrs(resource->attributes, v, "");
	b->blocks = resource->blocks; /* timeouts and the like keep their meaning */
	b->rules = NULL; /* the resource's rules are about what a user sets */
	return b;
}

/* Views made so far, one per data source: a handful, made at start-up, kept for the life of the process. */
typedef struct view_memo {
	const tf_data_source *d;
	const tf_block *schema;
	struct view_memo *next;
} view_memo;
static view_memo *memos;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

const tf_block *tf_data_source_schema(const tf_data_source *d)
{
	if (d->schema != NULL || d->view_of == NULL)
		return d->schema;
	pthread_mutex_lock(&memo_lock);
	view_memo *m = memos;
	while (m != NULL && m->d != d)
		m = m->next;
	if (m == NULL) {
		m = must_calloc(1, sizeof(*m));
		m->d = d;
		m->schema = tf_block_view(d->view_of, d->view);
		m->next = memos;
		memos = m;
	}
	pthread_mutex_unlock(&memo_lock);
	return m->schema;
}
