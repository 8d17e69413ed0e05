import { useMemo, useState } from 'react';
import { AdminApi } from './api.js';
import { href, navigate, useRoute } from './routing.js';
import { loadDataPlaneUrl, loadToken, saveDataPlaneUrl, saveToken, SessionContext, type Session } from './session.js';
import { SignIn } from './pages/SignIn.js';
import { Overview } from './pages/Overview.js';
import { ServerList } from './pages/ServerList.js';
import { ServerCreate } from './pages/ServerCreate.js';
import { ServerDetail } from './pages/ServerDetail.js';
import { Services } from './pages/Services.js';
import { Registries } from './pages/Registries.js';
import { Consumers } from './pages/Consumers.js';

const NAV: Array<{ route: string; label: string }> = [
  { route: '', label: 'Overview' },
  { route: 'mcp-servers', label: 'MCP servers' },
  { route: 'services', label: 'Services' },
  { route: 'registries', label: 'Registries' },
  { route: 'consumers', label: 'Consumers' },
];

function Page({ route }: { route: string[] }) {
  const [first, second, third, fourth] = route;
  switch (first) {
    case undefined:
      return <Overview />;
    case 'mcp-servers':
      if (second === 'new') return <ServerCreate />;
      if (second) return <ServerDetail name={second} tab={third ?? 'overview'} sub={fourth} />;
      return <ServerList />;
    case 'services':
      return <Services />;
    case 'registries':
      return <Registries />;
    case 'consumers':
      return <Consumers />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page here. <a href={href()}>Go to the overview</a>.
          </p>
        </section>
      );
  }
}

export function App() {
  const [token, setToken] = useState<string | null>(loadToken);
  const [expired, setExpired] = useState(false);
  const [dataPlaneUrl, setDataPlaneUrlState] = useState(loadDataPlaneUrl);
  const [menuOpen, setMenuOpen] = useState(false);
  const route = useRoute();

  const session = useMemo<Session | null>(() => {
    if (!token) return null;
    const signOut = () => {
      saveToken(null);
      setToken(null);
    };
    return {
      api: new AdminApi(token, '', () => {
        setExpired(true);
        signOut();
      }),
      signOut,
      dataPlaneUrl,
      setDataPlaneUrl: (url: string) => {
        saveDataPlaneUrl(url);
        setDataPlaneUrlState(url.replace(/\/+$/, ''));
      },
    };
  }, [token, dataPlaneUrl]);

  if (!session) {
    return (
      <SignIn
        expired={expired}
        onSignedIn={(t) => {
          saveToken(t);
          setExpired(false);
          // Another tab may have changed the remembered data-plane URL since this page loaded.
          setDataPlaneUrlState(loadDataPlaneUrl());
          setToken(t);
        }}
      />
    );
  }

  const active = route[0] ?? '';
  return (
    <SessionContext.Provider value={session}>
      <div className="shell">
        <header className="topbar">
          <a className="brand" href={href()}>
            MCP Gateway
          </a>
          <button
            type="button"
            className="menu-toggle secondary small"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            Menu
          </button>
          <button
            type="button"
            className="secondary small sign-out"
            onClick={() => {
              session.signOut();
              navigate();
            }}
          >
            Sign out
          </button>
        </header>
        <nav id="main-nav" className={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Main">
          {NAV.map((n) => (
            <a
              key={n.route}
              href={n.route ? href(n.route) : href()}
              className={active === n.route ? 'active' : ''}
              aria-current={active === n.route ? 'page' : undefined}
              onClick={() => setMenuOpen(false)}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <main className="content">
          <Page route={route} key={route.slice(0, 2).join('/')} />
        </main>
      </div>
    </SessionContext.Provider>
  );
}
