// A real OpenID Connect provider (oidc-provider) for the tests of staff sign-in through the
// government's identity provider: the portal's client, a login page of its own (no
// consent: the portal is the government's own client), and RP-initiated logout.
//
// Environment: PORTAL_URL (the portal's address, for its redirect URIs), CLIENT_ID,
// CLIENT_SECRET, and ACCOUNTS_FILE, a JSON object read at every request, so that a test
// changes an account (its groups, its amr) between two sign-ins:
//   {"li.reviewer": {"sub": "...", "name": "...", "preferred_username": "...",
//                    "groups": ["..."], "amr": ["pwd", "otp"]}}
// The login page takes the account's key. The provider listens on a free port of 127.0.0.1
// and prints "listening <port>" once it answers.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const { PORTAL_URL, CLIENT_ID, CLIENT_SECRET, ACCOUNTS_FILE } = process.env;
for (const [name, value] of Object.entries({ PORTAL_URL, CLIENT_ID, CLIENT_SECRET, ACCOUNTS_FILE })) {
  if (!value) throw new Error(`${name} is not set`);
}

const accounts = () => JSON.parse(readFileSync(ACCOUNTS_FILE, 'utf8'));
const bySubject = (sub) => Object.values(accounts()).find((account) => account.sub === sub);

const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;

function loginPage(uid, error = '') {
  return page('Government account', `${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Account</label> <input id="login" name="login" autocomplete="username" required>
<button type="submit" id="sign-in">Sign in</button></form>`);
}

async function formBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${PORTAL_URL}/accounts/oidc/callback/`],
      post_logout_redirect_uris: [`${PORTAL_URL}/`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [{ ...key, kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // amr (how the person signed in) is in the ID token; it must be a claim of a granted scope.
    claims: { openid: ['sub', 'amr'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    pkce: { required: () => true }, // the portal must send PKCE
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out of the government account?', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout" id="sign-out">Yes, sign me out</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // The portal is the government's own client: what it asks for is granted, no consent page.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
    async findAccount(ctx, sub) {
      const account = bySubject(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          const { name, preferred_username, groups } = bySubject(sub) ?? account;
          return { sub, name, preferred_username, groups };
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<p id="error">${escape(out.error)}: ${escape(out.error_description)}</p>`);
    },
  });

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (!match) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name !== 'login') {
        return send(res, 400, page('Unexpected step', `<p>${escape(details.prompt.name)}</p>`));
      }
      if (req.method === 'GET') return send(res, 200, loginPage(details.uid));
      const login = (await formBody(req)).get('login');
      const account = accounts()[login];
      if (!account) return send(res, 200, loginPage(details.uid, 'No such account.'));
      const result = { login: { accountId: account.sub, amr: account.amr ?? ['pwd'] } };
      return await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (error) {
      return send(res, 400, page('Error', `<p id="error">${escape(error.message)}</p>`));
    }
  });
  console.log(`listening ${port}`);
});
