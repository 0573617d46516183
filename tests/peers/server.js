// A certified OpenID provider (panva's oidc-provider) on loopback, for the integration tests.
//
// Usage: node server.js --port N   (0: a free port, chosen when listening, so none collides)
// Prints `listening http://127.0.0.1:N` on stdout when ready; everything else goes to stderr.
//
// Clients (all `application_type: "native"`, so any loopback port on the registered
// `http://127.0.0.1/callback` is accepted, RFC 8252 §7.3):
//   test-public  token_endpoint_auth_method none (the provider then requires PKCE, S256 only)
//   test-basic   client_secret_basic, secret test-basic-secret
//   test-post    client_secret_post,  secret test-post-secret
//   test-protocol  client_secret_basic, secret test-protocol-secret, with a registered
//                post-logout redirect URI `http://127.0.0.1/logged-out` (any loopback port)
//   test-par-required  client_secret_basic, secret test-protocol-secret, and
//                require_pushed_authorization_requests (RFC 9126 §6)
//   test-pkjwt   private_key_jwt (RFC 7523) with the sandbox's demo-pkjwt key
//                (pkce_tui/sandbox/demo_client_key.json, public half registered here)
//   test-dpop    none, dpop_bound_access_tokens (RFC 9449 §5.2): tokens only with DPoP
//
// Features on: introspection (RFC 7662), revocation (RFC 7009), RP-initiated logout,
// pushed authorization requests (RFC 9126), DPoP (RFC 9449).
//
// Refresh tokens: issued to every client allowed the refresh_token grant, whether or not
// `offline_access` survived (the provider drops it unless `prompt=consent` is sent), so a
// flow test can exercise the refresh step without depending on that rule.
//
// Login: our own form at /interaction/{uid} accepting only alice / pass; consent is granted
// automatically for whatever the client asked (native clients always get a consent prompt).
// The form's Decline button (action=decline) ends the interaction with access_denied.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const MAX_FORM_BYTES = 10_000;
const USERS = {
  alice: {
    password: 'pass',
    claims: {
      sub: 'alice',
      name: 'Alice Example',
      preferred_username: 'alice',
      email: 'alice@example.test',
      email_verified: true,
    },
  },
};

const log = (line) => process.stderr.write(`op: ${line}\n`);

/** One native client with the shared redirect URI, grant types and scopes. */
function client(clientId, authMethod, secret) {
  return {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    token_endpoint_auth_method: authMethod,
    application_type: 'native',
    redirect_uris: [`http://${HOST}/callback`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid profile email offline_access',
  };
}

const PROTOCOL_SECRET = 'test-protocol-secret';

/** The public half of the sandbox's demo-pkjwt key, which the tests sign assertions with. */
function demoClientJwks() {
  const url = new URL('../../pkce_tui/sandbox/demo_client_key.json', import.meta.url);
  const { d: _private, ...publicKey } = JSON.parse(readFileSync(url, 'utf8'));
  return { keys: [publicKey] };
}

/** The clients for the protocol features; the three above stay as they were. */
function protocolClients() {
  return [
    {
      ...client('test-protocol', 'client_secret_basic', PROTOCOL_SECRET),
      post_logout_redirect_uris: [`http://${HOST}/logged-out`],
    },
    {
      ...client('test-par-required', 'client_secret_basic', PROTOCOL_SECRET),
      require_pushed_authorization_requests: true,
    },
    {
      ...client('test-pkjwt', 'private_key_jwt'),
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: demoClientJwks(),
    },
    { ...client('test-dpop', 'none'), dpop_bound_access_tokens: true },
  ];
}

/** A fresh RS256 signing key for this run, as a private JWK the provider publishes. */
function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };
}

/** The account model: only the users in USERS exist. */
async function findAccount(_ctx, sub) {
  const user = USERS[sub];
  if (!user) return undefined;
  return { accountId: sub, claims: async () => user.claims };
}

function configuration() {
  return {
    clients: [
      client('test-public', 'none'),
      client('test-basic', 'client_secret_basic', 'test-basic-secret'),
      client('test-post', 'client_secret_post', 'test-post-secret'),
      ...protocolClients(),
    ],
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      dPoP: { enabled: true },
    },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx, oidcClient) => oidcClient.grantTypeAllowed('refresh_token'),
    findAccount,
  };
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The plain login form; `error` is shown above it after a wrong username or password. */
function loginPage(uid, error) {
  const message = error ? `<p class="error">${escapeHtml(error)}</p>` : '';
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in</h1>${message}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="decline">Decline</button>
</form></body></html>
`;
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

/** The urlencoded body of a POST, refused past MAX_FORM_BYTES. */
async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) throw new Error('form body too large');
  }
  return new URLSearchParams(body);
}

/** Grant what the consent prompt says is missing and finish the interaction. */
async function grantConsent(provider, req, res, interaction) {
  const { prompt: { details }, params, session: { accountId } } = interaction;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  const consent = interaction.grantId ? {} : { grantId };
  await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

/** GET /interaction/{uid}: the login form, or consent granted at once. */
async function showInteraction(provider, req, res) {
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.prompt.name === 'login') {
    sendHtml(res, 200, loginPage(interaction.uid));
  } else {
    await grantConsent(provider, req, res, interaction);
  }
}

/** POST /interaction/{uid}/login: alice / pass signs in; Decline answers access_denied
 * (RFC 6749 §4.1.2.1); anything else re-shows the form. */
async function submitLogin(provider, req, res) {
  const interaction = await provider.interactionDetails(req, res);
  const form = await readForm(req);
  if (form.get('action') === 'decline') {
    log('the user declined');
    const result = { error: 'access_denied', error_description: 'the user declined the request' };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  const username = form.get('username') ?? '';
  if (USERS[username]?.password !== form.get('password')) {
    log(`login refused for user ${JSON.stringify(username)}`);
    sendHtml(res, 200, loginPage(interaction.uid, 'Wrong username or password.'));
    return;
  }
  log(`login ok for user ${username}`);
  const result = { login: { accountId: username } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

/** Our interaction routes, or undefined when the path is the provider's. */
function interactionRoute(req) {
  const path = new URL(req.url, `http://${HOST}`).pathname;
  if (req.method === 'GET' && /^\/interaction\/[\w-]+$/.test(path)) return showInteraction;
  if (req.method === 'POST' && /^\/interaction\/[\w-]+\/login$/.test(path)) return submitLogin;
  return undefined;
}

/** Log the provider's own reason behind a generic error (never a secret, only the detail). */
function logProviderErrors(provider) {
  const events = ['grant.error', 'authorization.error', 'userinfo.error', 'server_error'];
  for (const event of events) {
    provider.on(event, (_ctx, error) => {
      log(`${event}: ${error.error ?? error.name}: ${error.error_detail ?? error.message}`);
    });
  }
}

/** Route one request and log its method, path (no query: it may carry codes) and status. */
function handler(provider) {
  const providerCallback = provider.callback();
  return async (req, res) => {
    res.on('finish', () => log(`${req.method} ${req.url.split('?')[0]} -> ${res.statusCode}`));
    const route = interactionRoute(req);
    if (!route) return providerCallback(req, res);
    try {
      await route(provider, req, res);
    } catch (error) {
      log(`interaction failed: ${error.name}: ${error.message}`);
      if (!res.headersSent) sendHtml(res, 400, `<p>${escapeHtml(error.message)}</p>`);
    }
  };
}

/** The provider behind `server`, its issuer naming the port the server is listening on. */
function serveProvider(server) {
  const issuer = `http://${HOST}:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  logProviderErrors(provider);
  server.on('request', handler(provider));
  process.stdout.write(`listening ${issuer}\n`);
}

function main() {
  const { values } = parseArgs({ options: { port: { type: 'string' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log('usage: node server.js --port N (1..65535, or 0 for a free port)');
    process.exit(2);
  }
  const server = createServer();
  server.on('error', (error) => {
    log(`cannot listen on ${HOST}:${port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, HOST, () => serveProvider(server));
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
}

main();
