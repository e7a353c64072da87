// A real OpenID provider (the npm oidc-provider package) on loopback for Deter's single sign-on
// tests: `node tests/web/oidc/provider.mjs CONFIG.json`. It listens on a free port of
// 127.0.0.1 and prints one line of JSON, {"issuer": "http://127.0.0.1:PORT"}, when it is ready.
//
// CONFIG.json holds the one client (client_id, client_secret, redirect_uris) and the path of
// an accounts file, read again at every sign-in so a test can change a user's groups between
// sign-ins as a directory administrator would:
//   {"sub": {"password": "...", "email": "...", "name": "...", "groups": [...], "roles": [...],
//            "amr": ["pwd", "mfa"], "acr": "..."}}
// The provider's own sign-in form checks the password; consent is granted for the client, as
// an administrator's consent in Entra ID would. PKCE is required of the client.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(readFileSync(config.accounts, 'utf8'));
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const server = createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    // where Deter asks to come back to after signing out here (RP-Initiated Logout)
    post_logout_redirect_uris: config.post_logout_redirect_uris ?? [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post', // as Deter sends it (docs/sign-in.md)
  }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    // the library's own sign-out page fetches a web font; this one fetches nothing
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html><html><head><title>Test provider</title></head><body>
<h1>Do you want to sign-out from ${escape(ctx.host)}?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  // Entra ID puts groups and app roles in the ID token, not only behind the userinfo endpoint
  conformIdTokenClaims: false,
  acrValues: ['urn:deter:test:mfa', 'urn:deter:test:pwd'],
  claims: {
    // in every ID token, as Entra ID sends them: groups, app roles, how the user signed in
    openid: ['sub', 'groups', 'roles', 'amr', 'acr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  async findAccount(ctx, sub) {
    const account = accounts()[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { password, amr, acr, ...claims } = accounts()[sub] ?? {};
        return { sub, email_verified: true, ...claims };
      },
    };
  },
});

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html><head><title>Test provider</title></head><body>${html}</body></html>`);
}

function loginForm(uid, problem = '') {
  return `<h1>Sign in to the test provider</h1>${problem ? `<p class="error">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <input name="login" autocomplete="username"><input type="password" name="password">
  <button type="submit">Sign in</button></form>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'interaction mismatch');
  if (details.prompt.name === 'login') {
    if (req.method === 'GET') return send(res, 200, loginForm(uid));
    if (action !== 'login') return send(res, 400, 'unexpected submission');
    const form = await readForm(req);
    const account = accounts()[form.get('login')];
    if (!account || account.password !== form.get('password')) {
      return send(res, 401, loginForm(uid, 'Wrong login or password'));
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: form.get('login'), amr: account.amr, acr: account.acr },
    }, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true });
  }
  return send(res, 501, `prompt ${escape(details.prompt.name)} is not handled`);
}

const handle = provider.callback();
server.on('request', (req, res) => {
  const match = new URL(req.url, issuer).pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
  if (!match) return handle(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    send(res, 500, escape(error.message));
  });
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
console.log(JSON.stringify({ issuer }));
