import { useQuery } from '@tanstack/react-query';
import { Button, Card, Steps, Typography } from 'antd';
import { Link, useSearchParams } from 'react-router';
import { getChecklist, type SetupChecklist as Checklist } from '../api';
import { type MessageKey, useT } from '../i18n';
import { useSession } from '../session';
import { formatTime } from '../time';

/**
 * The setup checklist at the top of the merchant's dashboard: callback URLs → receiving account →
 * monitor online → test payment, each step linking to its page. Shown until every step is done;
 * nothing for an operator who has not picked one (`?merchant_id=`). Whether a step is done is the server's
 * call (`GET /admin/api/checklist`).
 */
export function SetupChecklist() {
  const session = useSession();
  const [params] = useSearchParams();
  const wanted = Number(params.get('merchant_id'));
  const scope = Number.isInteger(wanted) && wanted > 0 ? { merchant_id: wanted } : {};
  const enabled = session.data?.user.role === 'merchant' || scope.merchant_id !== undefined;
  const query = useQuery({
    queryKey: ['checklist', scope.merchant_id ?? 'own'],
    queryFn: () => getChecklist(scope),
    enabled,
    refetchInterval: (q) => (q.state.data?.done ? false : 30_000),
  });
  if (!enabled || !query.data || query.data.done) return null;
  return <ChecklistCard checklist={query.data} />;
}

function ChecklistCard({ checklist }: { checklist: Checklist }) {
  const t = useT();
  const current = checklist.steps.findIndex((s) => !s.done);
  const items = checklist.steps.map((s, i) => {
    const hint =
      s.key === 'monitor' && !s.done && checklist.last_heartbeat_at !== null
        ? t('checklist.monitorOffline', { time: formatTime(checklist.last_heartbeat_at) })
        : t(`checklist.${s.key}Hint` as MessageKey);
    return {
      title: t(`checklist.${s.key}` as MessageKey),
      status: s.done ? ('finish' as const) : i === current ? ('process' as const) : ('wait' as const),
      content: (
        <>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 4 }}>
            {s.done ? t('checklist.done') : hint}
          </Typography.Paragraph>
          {!s.done && (
            <Link to={s.link}>
              <Button size="small" type={i === current ? 'primary' : 'default'}>
                {t('checklist.go')}
              </Button>
            </Link>
          )}
        </>
      ),
    };
  });
  return (
    <Card title={t('checklist.title')} style={{ marginBottom: 16 }} aria-label={t('checklist.title')}>
      <Typography.Paragraph type="secondary">{t('checklist.hint')}</Typography.Paragraph>
      <Steps orientation="vertical" current={current} items={items} />
    </Card>
  );
}
