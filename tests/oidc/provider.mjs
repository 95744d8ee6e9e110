// A real OpenID provider (the certified npm `oidc-provider`) on loopback for
// the console's sign-in tests. Started by tests/console_oidc.rs:
//   node tests/oidc/provider.mjs <client_id> <client_secret> <redirect_uri>
// It listens on a free port and prints `issuer <url>` on its first line.
// Interactions are automatic: `/interaction/<uid>?as=<subject>` signs in as
// that subject and grants consent; each subject has the verified email
// `<subject>@example.gov.uk` (unverified when the subject starts `unverified`).
import Provider from 'oidc-provider';
import http from 'node:http';

const [clientId, clientSecret, redirectUri] = process.argv.slice(2);
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true, methods: ['S256'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'email'],
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: `${sub}@example.gov.uk`, email_verified: !sub.startsWith('unverified') };
      },
    };
  },
});

provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: ctx.query.as || 'nobody' } };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope('openid email');
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
});

server.on('request', provider.callback());
console.log(`issuer ${issuer}`);
