import { Flex, Typography } from 'antd';
import { type ReactNode, useEffect } from 'react';
import { type MessageKey, useT } from '../i18n';

/** Sets the browser tab's title to the page's name. */
export function usePageTitle(key: MessageKey) {
  const t = useT();
  const title = t(key);
  const app = t('app.name');
  useEffect(() => {
    document.title = `${title} · ${app}`;
  }, [title, app]);
}

/** The frame of every page inside the shell: its title, optional actions, then the content. */
export function Page(props: { titleKey: MessageKey; extra?: ReactNode; children?: ReactNode }) {
  const t = useT();
  usePageTitle(props.titleKey);
  return (
    <div>
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t(props.titleKey)}
        </Typography.Title>
        {props.extra}
      </Flex>
      {props.children}
    </div>
  );
}
