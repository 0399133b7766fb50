import {
  AppstoreOutlined,
  AuditOutlined,
  BellOutlined,
  DashboardOutlined,
  DesktopOutlined,
  ExperimentOutlined,
  SettingOutlined,
  ShopOutlined,
  TeamOutlined,
  TransactionOutlined,
  UnorderedListOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import { type ComponentType, lazy, type LazyExoticComponent } from 'react';
import { createBrowserRouter, type RouteObject } from 'react-router';
import { RouteError } from './components/RouteError';
import { RoleGate } from './layout/RoleGate';
import type { MessageKey } from './i18n';

/**
 * The console's pages. Each page is its own chunk (React.lazy), so the sign-in page loads
 * without the rest. The navigation is built from `NAV`: add a page here and it appears in the
 * menu; `operatorOnly` pages are neither shown to nor rendered for merchant users.
 */

export interface NavEntry {
  /** Path below /admin. */
  path: string;
  label: MessageKey;
  icon: ComponentType;
  operatorOnly?: boolean;
  Page: LazyExoticComponent<ComponentType>;
}

export const BASENAME = '/admin';

export const NAV: NavEntry[] = [
  {
    path: '/',
    label: 'nav.dashboard',
    icon: DashboardOutlined,
    Page: lazy(() => import('./pages/Dashboard')),
  },
  {
    path: '/orders',
    label: 'nav.orders',
    icon: UnorderedListOutlined,
    Page: lazy(() => import('./pages/Orders')),
  },
  {
    path: '/notifications',
    label: 'nav.notifications',
    icon: BellOutlined,
    Page: lazy(() => import('./pages/Notifications')),
  },
  {
    path: '/payments',
    label: 'nav.payments',
    icon: TransactionOutlined,
    Page: lazy(() => import('./pages/Payments')),
  },
  {
    path: '/accounts',
    label: 'nav.accounts',
    icon: WalletOutlined,
    Page: lazy(() => import('./pages/Accounts')),
  },
  {
    path: '/products',
    label: 'nav.products',
    icon: AppstoreOutlined,
    Page: lazy(() => import('./pages/Products')),
  },
  {
    path: '/test-payment',
    label: 'nav.testPayment',
    icon: ExperimentOutlined,
    Page: lazy(() => import('./pages/TestPayment')),
  },
  {
    path: '/settings',
    label: 'nav.settings',
    icon: SettingOutlined,
    Page: lazy(() => import('./pages/Settings')),
  },
  {
    path: '/merchants',
    label: 'nav.merchants',
    icon: ShopOutlined,
    operatorOnly: true,
    Page: lazy(() => import('./pages/Merchants')),
  },
  {
    path: '/users',
    label: 'nav.users',
    icon: TeamOutlined,
    operatorOnly: true,
    Page: lazy(() => import('./pages/Users')),
  },
  {
    path: '/audit',
    label: 'nav.auditLog',
    icon: AuditOutlined,
    operatorOnly: true,
    Page: lazy(() => import('./pages/AuditLog')),
  },
  {
    path: '/system',
    label: 'nav.system',
    icon: DesktopOutlined,
    operatorOnly: true,
    Page: lazy(() => import('./pages/System')),
  },
];

/** Pages below a NAV entry (its menu item stays selected): details and sub-pages. */
export const SUBPAGES: Array<{ path: string; Page: LazyExoticComponent<ComponentType> }> = [
  { path: '/accounts/:id', Page: lazy(() => import('./pages/AccountDetail')) },
  { path: '/accounts/:id/pairing', Page: lazy(() => import('./pages/Pairing')) },
  { path: '/orders/:id', Page: lazy(() => import('./pages/OrderDetail')) },
];

/** Pages that work without a session (a 401 there is expected, not a reason to redirect). */
export const PUBLIC_PATHS = ['/sign-in', '/setup'];

const Shell = lazy(() => import('./layout/Shell'));
const SignIn = lazy(() => import('./pages/SignIn'));
const Setup = lazy(() => import('./pages/Setup'));
const NotFound = lazy(() => import('./pages/NotFound'));

const pageRoutes: RouteObject[] = NAV.map((entry) => {
  const element = entry.operatorOnly ? <RoleGate Page={entry.Page} /> : <entry.Page />;
  return entry.path === '/' ? { index: true, element } : { path: entry.path.slice(1), element };
});

export const router = createBrowserRouter(
  [
    { path: '/sign-in', element: <SignIn />, errorElement: <RouteError /> },
    { path: '/setup', element: <Setup />, errorElement: <RouteError /> },
    {
      path: '/',
      element: <Shell />,
      errorElement: <RouteError />,
      children: [
        ...pageRoutes,
        ...SUBPAGES.map((s) => ({ path: s.path.slice(1), element: <s.Page /> })),
        { path: '*', element: <NotFound /> },
      ],
    },
  ],
  { basename: BASENAME },
);
