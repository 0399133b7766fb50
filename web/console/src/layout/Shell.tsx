import { LogoutOutlined, MenuOutlined, UserOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import {
  App as AntApp,
  Button,
  Drawer,
  Dropdown,
  Flex,
  Grid,
  Layout,
  Menu,
  type MenuProps,
  Typography,
} from 'antd';
import { Suspense, useState } from 'react';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { type Session, signOut } from '../api';
import { CenteredPage, FullPageSpin } from '../components/FullPage';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { NAV } from '../routes';
import { useSession } from '../session';

/**
 * The frame around every signed-in page: side navigation on a desktop, a drawer behind a menu
 * button on a phone, and a header with the language switch and the user menu. Nobody signed in:
 * off to the sign-in page, coming back here afterwards.
 */
export default function Shell() {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <FullPageSpin />;
  if (session.isError) {
    return (
      <CenteredPage top={<LanguageSwitch size="small" />}>
        <ErrorState error={session.error} onRetry={() => void session.refetch()} />
      </CenteredPage>
    );
  }
  if (!session.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }
  // antd's App gives the pages inside `App.useApp()` (message, modal, notification).
  return (
    <AntApp>
      <ShellLayout session={session.data} />
    </AntApp>
  );
}

/** The NAV entry the current path belongs to (`/orders/42` → `/orders`). */
function selectedPath(pathname: string): string {
  const match = NAV.filter(
    (e) => e.path !== '/' && (pathname === e.path || pathname.startsWith(`${e.path}/`)),
  );
  return match[0]?.path ?? (pathname === '/' ? '/' : '');
}

function NavMenu(props: { session: Session; onNavigate?: () => void }) {
  const t = useT();
  const location = useLocation();
  const operator = props.session.user.role === 'operator';
  const item = (e: (typeof NAV)[number]) => ({
    key: e.path,
    icon: <e.icon />,
    label: <Link to={e.path}>{t(e.label)}</Link>,
  });
  const items: MenuProps['items'] = [
    ...NAV.filter((e) => !e.operatorOnly).map(item),
    ...(operator
      ? [
          {
            type: 'group' as const,
            label: t('nav.operatorGroup'),
            children: NAV.filter((e) => e.operatorOnly).map(item),
          },
        ]
      : []),
  ];
  return (
    <Menu
      mode="inline"
      items={items}
      selectedKeys={[selectedPath(location.pathname)]}
      onClick={props.onNavigate}
      style={{ borderInlineEnd: 'none' }}
    />
  );
}

function Brand(props: { compact?: boolean }) {
  const t = useT();
  return (
    <Link to="/" style={{ display: 'flex', alignItems: 'center', gap: 8, color: 'inherit', lineHeight: 1 }}>
      <span
        aria-hidden="true"
        style={{
          display: 'inline-grid',
          placeItems: 'center',
          flex: 'none',
          width: 28,
          height: 28,
          lineHeight: '28px',
          borderRadius: 6,
          background: '#1677ff',
          color: '#fff',
          fontWeight: 700,
        }}
      >
        收
      </span>
      <Typography.Text strong style={{ fontSize: 16 }}>
        {t(props.compact ? 'app.name' : 'app.console')}
      </Typography.Text>
    </Link>
  );
}

function UserMenu(props: { session: Session; compact: boolean }) {
  const t = useT();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { user } = props.session;
  const items: MenuProps['items'] = [
    {
      key: 'who',
      disabled: true,
      label: (
        <Flex vertical>
          <Typography.Text>{t('header.signedInAs', { email: user.email })}</Typography.Text>
          <Typography.Text type="secondary">{t(`role.${user.role}`)}</Typography.Text>
        </Flex>
      ),
    },
    { type: 'divider' },
    { key: 'sign-out', icon: <LogoutOutlined />, label: t('header.signOut') },
  ];
  const onClick: MenuProps['onClick'] = ({ key }) => {
    if (key !== 'sign-out') return;
    // Signed out locally whatever the server says: the cookie is gone or will expire.
    void signOut()
      .catch(() => undefined)
      .finally(() => {
        qc.clear();
        qc.setQueryData(['session'], null);
        void navigate('/sign-in', { replace: true });
      });
  };
  return (
    <Dropdown menu={{ items, onClick }} trigger={['click']} placement="bottomRight">
      <Button type="text" aria-label={t('header.userMenu')} icon={<UserOutlined />}>
        {props.compact ? null : user.email}
      </Button>
    </Dropdown>
  );
}

function ShellLayout(props: { session: Session }) {
  const t = useT();
  const screens = Grid.useBreakpoint();
  // Until the first measurement, assume a desktop only when the window says so.
  const phone = screens.md === undefined ? window.innerWidth < 768 : !screens.md;
  const [drawer, setDrawer] = useState(false);
  const headerStyle = {
    display: 'flex',
    alignItems: 'center',
    gap: 8,
    padding: phone ? '0 8px' : '0 24px',
    background: '#fff',
    borderBottom: '1px solid #f0f0f0',
    position: 'sticky' as const,
    top: 0,
    zIndex: 10,
  };
  const content = (
    <Layout.Content style={{ padding: phone ? 12 : 24, minWidth: 0 }}>
      <Suspense fallback={<Loading />}>
        <Outlet />
      </Suspense>
    </Layout.Content>
  );
  const tools = (
    <Flex align="center" gap={phone ? 4 : 12} style={{ marginInlineStart: 'auto' }}>
      <LanguageSwitch size={phone ? 'small' : 'middle'} />
      <UserMenu session={props.session} compact={phone} />
    </Flex>
  );

  if (phone) {
    return (
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Header style={headerStyle}>
          <Button
            type="text"
            aria-label={t('nav.menu')}
            icon={<MenuOutlined />}
            onClick={() => setDrawer(true)}
          />
          <Brand compact />
          {tools}
        </Layout.Header>
        <Drawer
          placement="left"
          open={drawer}
          onClose={() => setDrawer(false)}
          size={260}
          title={<Brand />}
          styles={{ body: { padding: 0 } }}
        >
          <NavMenu session={props.session} onNavigate={() => setDrawer(false)} />
        </Drawer>
        {content}
      </Layout>
    );
  }
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        width={208}
        theme="light"
        style={{
          borderInlineEnd: '1px solid #f0f0f0',
          position: 'sticky',
          top: 0,
          height: '100vh',
          overflow: 'auto',
        }}
      >
        <div style={{ height: 64, display: 'flex', alignItems: 'center', padding: '0 20px' }}>
          <Brand />
        </div>
        <nav aria-label={t('nav.menu')}>
          <NavMenu session={props.session} />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header style={headerStyle}>{tools}</Layout.Header>
        {content}
      </Layout>
    </Layout>
  );
}
