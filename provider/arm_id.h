/*
 * ARM resource ids, declared rather than parsed by hand: a resource states the shapes its parent may have (the
 * fixed segment names, the provider namespace, and a rule for each name) and the collection its objects live in,
 * and one parser checks, splits and explains any id against that declaration (docs/internals/arm.md).
 *
 * Segment names and the namespace match without regard to case, as ARM matches them; the id's own spelling is
 * kept. Messages show every accepted shape.
 */
#ifndef FOUNDRY_PROVIDER_ARM_ID_H
#define FOUNDRY_PROVIDER_ARM_ID_H

#include <stddef.h>

#include "internal/common/fy_arena.h"

/* A name rule: 1 when s[0..n) is a valid name. `rule` says it in words ("2-64 characters: ..."). */
typedef struct foundry_arm_name_rule {
	int (*valid)(const char *s, size_t n);
	const char *rule;
} foundry_arm_name_rule;

/* One key/value pair of an id: /{key}/{value}. A fixed value (the provider namespace) has `value` set. */
typedef struct foundry_arm_segment {
	const char *key; /* "subscriptions", "resourceGroups", "providers", "accounts" */
	const char *value; /* "Microsoft.CognitiveServices" for providers; NULL: a name */
	const char *what; /* "account": in messages and in {placeholders} */
	const foundry_arm_name_rule *name; /* NULL: any non-empty value */
} foundry_arm_segment;

/* A parent shape: its segments, NULL-key terminated. */
typedef struct foundry_arm_shape {
	const char *what; /* "project" */
	const foundry_arm_segment *segments;
} foundry_arm_shape;

/* What a resource's id looks like: {parent}/{collection}/{name}. */
typedef struct foundry_arm_idspec {
	const char *noun; /* "connection" */
	const foundry_arm_shape *const *parents; /* NULL-terminated; each accepted parent shape */
	const char *collection; /* "connections" */
	const foundry_arm_name_rule *name;
} foundry_arm_idspec;

/* Check a parent id. 0 and *out_shape (may be NULL) = the index of the shape it has; FY_EINVALID with a message
 * that says what is wrong and shows every accepted shape. */
int foundry_arm_parent_parse(size_t *out_shape, const foundry_arm_idspec *spec, const char *id);

/* Split "{parent}/{collection}/{name}" (any case for the collection) into parent and name in the arena, keeping
 * the spelling; FY_EINVALID with a message that shows the accepted shapes otherwise. */
int foundry_arm_id_split(
	char **out_parent, char **out_name, fy_arena *a, const foundry_arm_idspec *spec, const char *id);

/* "{parent}/{collection}/{name}" in the arena. */
char *foundry_arm_id_join(fy_arena *a, const foundry_arm_idspec *spec, const char *parent, const char *name);

/* 1 when `name` satisfies the spec's name rule. */
int foundry_arm_name_valid(const foundry_arm_idspec *spec, const char *name);

/* Shared rules: subscription ids, resource group names, Cognitive Services account and project names. */
extern const foundry_arm_name_rule foundry_arm_rule_group;
extern const foundry_arm_name_rule foundry_arm_rule_account;
/* The two parents of Foundry child resources: an account and a project. */
extern const foundry_arm_shape foundry_arm_shape_account;
extern const foundry_arm_shape foundry_arm_shape_project;

#endif
