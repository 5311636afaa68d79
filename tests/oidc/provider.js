// A real OpenID Connect provider (the certified `oidc-provider` package) on the loopback address, for the
// dashboard's single sign-on test. Its development login page accepts any password for the accounts below; each
// account's `groups` claim is what the test maps to a role. Started by tests/test_browser_sso.py:
//   node provider.js PORT CONFIG.json   (CONFIG: {client: {client_id, client_secret, redirect_uri}, accounts})
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const { client, accounts } = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: [client.redirect_uri],
    // Streamlit's st.logout ends the provider's session too, coming back to its redirect_uri
    post_logout_redirect_uris: [client.redirect_uri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'email', 'groups'],
  // Streamlit reads who signed in from the ID token, so the claims go in it, not only in the userinfo endpoint.
  conformIdTokenClaims: false,
  findAccount: async (ctx, id) => {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  // A first-party client: grant what it asks without a consent screen, as a council's own provider would.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups');
    grant.addOIDCClaims(['sub', 'name', 'email', 'groups']);
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['rcc-test-only'] },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
