import { Result } from 'antd';
import type { ComponentType } from 'react';
import { useT } from '../i18n';
import { useSession } from '../session';

/** Operator pages: a merchant user who types the address gets a refusal, not the page. */
export function RoleGate(props: { Page: ComponentType }) {
  const t = useT();
  const session = useSession();
  if (session.data?.user.role !== 'operator') {
    return <Result status="403" title="403" subTitle={t('error.forbidden')} />;
  }
  return <props.Page />;
}
