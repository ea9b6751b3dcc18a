/*
 * emu: start/stop the project's ARM emulator (emulator/armemu.py) from a unit test, and talk to its control plane.
 *
 *   emu e;
 *   ck_assert_int_eq(emu_start(&e, NULL), 0);      // python3 armemu.py --port 0 --port-file <tmp>/port
 *   emu_reset(&e);                                 // POST /_emulator/reset between tests
 *   emu_fault(&e, "{\"method\":\"GET\",\"status\":429,\"retry_after\":\"1\"}");
 *   long n = emu_stat(&e, "connections_opened");
 *   emu_stop(&e);                                  // SIGTERM (SIGKILL if needed), reap, remove the temp dir
 *
 * The emulator binds 127.0.0.1 only; e.base_url is "http://127.0.0.1:PORT" (use it as the ARM endpoint, the
 * authority host and, with "/metadata/identity/oauth2/token", the MSI endpoint). Its stderr goes to a file in
 * e.dir, printed if it fails to start. The child gets PR_SET_PDEATHSIG, so a crashed test leaves no emulator.
 * Control-plane calls use a private libcurl handle (not the code under test), so they never count as the
 * client's connections; the emulator does not count control-plane requests in its stats either.
 * Not thread-safe per emu (call the control plane from one thread at a time).
 */
#ifndef FY_TEST_EMU_H
#define FY_TEST_EMU_H

#include <cjson/cJSON.h>
#include <sys/types.h>

/* Identities the emulator seeds (emulator contract). */
#define EMU_TENANT "00000000-0000-0000-0000-0000000000aa"
#define EMU_CLIENT_ID "11111111-1111-1111-1111-111111111111"
#define EMU_CLIENT_SECRET "emulator-client-secret"
#define EMU_OIDC_TOKEN "emulator-oidc-token"
#define EMU_OIDC_REQUEST_TOKEN "emulator-oidc-request-token"
#define EMU_SUBSCRIPTION "00000000-0000-0000-0000-000000000000"
#define EMU_ACCOUNT_ID                                                                                   \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/"       \
	"Microsoft.CognitiveServices/accounts/foundry-acct"
#define EMU_PROJECT_ID EMU_ACCOUNT_ID "/projects/proj-main"
#define EMU_PROJECT_DEV_ID EMU_ACCOUNT_ID "/projects/proj-dev"
#define EMU_API_VERSION "2025-12-01"

typedef struct emu {
	pid_t pid;          /* 0 when not running */
	int port;
	char base_url[64];  /* "http://127.0.0.1:PORT" */
	char dir[256];      /* scratch directory (mkdtemp), removed by emu_stop; tests may put files here */
	char az_dir[300];   /* emu_fake_az_dir() */
	char path_buf[512]; /* emu_path() */
} emu;

/* Start the emulator; extra_args (NULL-terminated, or NULL) are appended, e.g. {"--token-lifetime","60",NULL}.
 * 0, or -1 with a message on stderr. Waits (bounded) until the port file appears. */
int emu_start(emu *e, const char *const *extra_args);
/* Stop, reap and remove e->dir. Safe to call twice. */
void emu_stop(emu *e);

/* One control-plane (or any) request: method, path ("/_emulator/stats"), JSON body or NULL.
 * Returns the HTTP status, or -1 on a transport error. *out_body (if out_body) is malloc'd, "" when empty. */
long emu_call(emu *e, const char *method, const char *path, const char *json, char **out_body);
/* POST /_emulator/reset: empty store, no faults, empty log, zero stats, default config. 0 or -1. */
int emu_reset(emu *e);
/* POST /_emulator/faults with a rule object (JSON text). 0 or -1. */
int emu_fault(emu *e, const char *rule_json);
/* DELETE /_emulator/faults (also wakes requests hanging in a "hang" fault). 0 or -1. */
int emu_clear_faults(emu *e);
/* POST /_emulator/config with an object such as {"token_lifetime":60}. 0 or -1. */
int emu_config(emu *e, const char *json);
/* A number from GET /_emulator/stats ("connections_opened", "requests", "tokens_issued"); -1 on error. */
long emu_stat(emu *e, const char *name);
/* GET /_emulator/requests parsed; the caller cJSON_Delete()s it. NULL on error. */
cJSON *emu_requests(emu *e);
/* GET /_emulator/store parsed; the caller cJSON_Delete()s it. NULL on error. */
cJSON *emu_store(emu *e);

/* A directory holding `az` -> emulator/fake-az, to prepend to PATH; also sets FOUNDRY_EMULATOR_URL.
 * Storage inside e; NULL on error. */
const char *emu_fake_az_dir(emu *e);
/* "<e->dir>/<name>" (storage inside e, overwritten by the next call). */
const char *emu_path(emu *e, const char *name);
/* Write `text` to "<e->dir>/<name>" (mode 0600); returns the path (as emu_path) or NULL. */
const char *emu_write_file(emu *e, const char *name, const char *text);

#endif
