package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const apiVersion = "2026-09-01"

type armClient struct {
	endpoint, authority, tenantID, clientID, clientSecret string

	mu    sync.Mutex
	token string
	http  http.Client

	amu      sync.Mutex
	accounts map[string]*account
}

// account: the same adaptive rule as the C provider (internal/arm/arm_locks.c), so the bench compares like with
// like: writes in parallel until ARM answers one 409 RequestConflict, then one at a time for 30 s.
type account struct {
	mu          sync.Mutex
	serialUntil time.Time
}

func (c *armClient) account(id string) *account {
	key := strings.ToLower(id)
	if i := strings.Index(key, "/accounts/"); i >= 0 {
		rest := key[i+len("/accounts/"):]
		if j := strings.Index(rest, "/"); j >= 0 {
			key = key[:i+len("/accounts/")+j]
		}
	}
	c.amu.Lock()
	defer c.amu.Unlock()
	if c.accounts == nil {
		c.accounts = map[string]*account{}
	}
	a := c.accounts[key]
	if a == nil {
		a = &account{}
		c.accounts[key] = a
	}
	return a
}

func (c *armClient) bearer() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.clientID},
		"client_secret": {c.clientSecret}, "scope": {"https://management.core.windows.net//.default"}}
	resp, err := c.http.PostForm(strings.TrimSuffix(c.authority, "/")+"/"+c.tenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token request: HTTP %d", resp.StatusCode)
	}
	c.token = tok.AccessToken
	return c.token, nil
}

// do sends one ARM request, retrying what ARM asks to be retried (409 for another operation on the parent, 429,
// 5xx) after Retry-After, as any provider must; a 404 returns (nil, 404, nil).
func (c *armClient) do(method, id string, body any) (map[string]any, int, error) {
	write := method == http.MethodPut || method == http.MethodDelete
	acct := c.account(id)
	for attempt := 1; ; attempt++ {
		c.amu.Lock()
		serial := write && time.Now().Before(acct.serialUntil)
		c.amu.Unlock()
		if serial {
			acct.mu.Lock()
		}
		out, status, wait, err := c.once(method, id, body)
		if serial {
			acct.mu.Unlock()
		}
		if write && status == http.StatusConflict {
			c.amu.Lock()
			acct.serialUntil = time.Now().Add(30 * time.Second)
			c.amu.Unlock()
		}
		if wait < 0 || attempt == 10 {
			return out, status, err
		}
		time.Sleep(wait)
	}
}

func (c *armClient) once(method, id string, body any) (map[string]any, int, time.Duration, error) {
	out, status, hdr, err := c.send(method, id, body)
	if status == http.StatusConflict || status == http.StatusTooManyRequests || status >= 500 {
		wait := 500 * time.Millisecond
		if s, e := strconv.Atoi(hdr.Get("Retry-After")); e == nil {
			wait = time.Duration(s) * time.Second
		}
		return out, status, wait, err
	}
	return out, status, -1, err
}

func (c *armClient) send(method, id string, body any) (map[string]any, int, http.Header, error) {
	tok, err := c.bearer()
	if err != nil {
		return nil, 0, nil, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(c.endpoint, "/")+id+"?api-version="+apiVersion, rd)
	if err != nil {
		return nil, 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		return nil, 404, resp.Header, nil
	}
	if resp.StatusCode >= 300 {
		return nil, resp.StatusCode, resp.Header, fmt.Errorf("%s %s: HTTP %d: %s", method, id, resp.StatusCode, raw)
	}
	out := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out)
	}
	return out, resp.StatusCode, resp.Header, nil
}
