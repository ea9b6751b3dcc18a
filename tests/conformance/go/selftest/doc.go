// Package selftest runs tfconform end to end, as a script would: the tfconform binary and the Go
// test provider (terraform-provider-fake) are built into a temporary directory, then each test
// writes a configuration and a CLI config with dev_overrides and checks outputs, exit codes,
// the state file and the provider's call log.
package selftest
