import { Card } from 'antd';
import type { MessageKey } from '../i18n';
import { useT } from '../i18n';
import { Page } from './Page';
import { EmptyState } from './PageState';

/** A page whose content is not built yet: its title and frame, so navigation already works. */
export function ComingSoon(props: { titleKey: MessageKey }) {
  const t = useT();
  return (
    <Page titleKey={props.titleKey}>
      <Card>
        <EmptyState description={t('state.comingSoonHint', { page: t(props.titleKey) })} />
      </Card>
    </Page>
  );
}
