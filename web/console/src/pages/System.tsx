import { useQuery } from '@tanstack/react-query';
import { Card, Col, Descriptions, Row, Statistic, Typography } from 'antd';
import { getSystemStatus } from '../api';
import { formatDuration } from '../duration';
import { Page } from '../components/Page';
import { QueryView } from '../components/PageState';
import { useT } from '../i18n';
import { formatTime, formatTimeBare } from '../time';

/**
 * The operator's system page: version, database (never its credentials), open orders, the
 * notification queue and its oldest entry, monitors online. Refreshed every 10 seconds.
 */
export default function System() {
  const t = useT();
  const query = useQuery({ queryKey: ['system'], queryFn: getSystemStatus, refetchInterval: 10_000 });
  return (
    <Page titleKey="nav.system">
      <QueryView query={query}>
        {(s) => {
          const n = s.notifications;
          const figure = (
            key: string,
            title: string,
            value: string | number,
            hint?: string,
            warn = false,
          ) => (
            <Col xs={12} md={8} xl={6} key={key}>
              <Card size="small" style={{ height: '100%' }}>
                <Statistic
                  title={title}
                  value={value}
                  styles={warn ? { content: { color: '#cf1322' } } : undefined}
                />
                {hint && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {hint}
                  </Typography.Text>
                )}
              </Card>
            </Col>
          );
          return (
            <>
              <Card size="small" style={{ marginBottom: 16 }}>
                <Descriptions
                  size="small"
                  column={{ xs: 1, md: 2 }}
                  items={[
                    { key: 'version', label: t('sys.version'), children: s.version },
                    { key: 'node', label: t('sys.node'), children: s.node },
                    { key: 'started', label: t('sys.started'), children: formatTime(s.started_at) },
                    {
                      key: 'db',
                      label: t('sys.database'),
                      children: (
                        <Typography.Text style={{ wordBreak: 'break-all' }}>
                          {t(`sys.dialect.${s.database.dialect}`)} · {s.database.location}
                        </Typography.Text>
                      ),
                    },
                    {
                      key: 'schema',
                      label: t('sys.migrations'),
                      children:
                        s.database.pending_migrations.length === 0 ? (
                          t('sys.upToDate')
                        ) : (
                          <Typography.Text type="danger">
                            {t('sys.pending', { list: s.database.pending_migrations.join(', ') })}
                          </Typography.Text>
                        ),
                    },
                  ]}
                />
              </Card>
              <Row gutter={[12, 12]}>
                {figure('open', t('sys.openOrders'), s.open_orders)}
                {figure('queue', t('sys.queue'), n.queue, t('sys.queueDue', { n: n.due }))}
                {figure(
                  'oldest',
                  t('sys.oldest'),
                  n.oldest_pending_age_ms === null ? '—' : formatDuration(n.oldest_pending_age_ms),
                  n.oldest_pending_created_at === null
                    ? t('sys.oldestNone')
                    : formatTime(n.oldest_pending_created_at),
                  n.oldest_pending_age_ms !== null && n.oldest_pending_age_ms > 3600_000,
                )}
                {figure('failed', t('sys.failed'), n.failed, undefined, n.failed > 0)}
                {figure(
                  'monitors',
                  t('sys.monitors'),
                  `${s.monitors.online} / ${s.monitors.total}`,
                  undefined,
                  s.monitors.online < s.monitors.total,
                )}
                {figure(
                  'unmatched',
                  t('sys.unmatched'),
                  s.unmatched_payments,
                  undefined,
                  s.unmatched_payments > 0,
                )}
                {figure('merchants', t('sys.merchants'), s.merchants)}
                {figure('users', t('sys.users'), s.users)}
              </Row>
              <Typography.Paragraph type="secondary" style={{ marginTop: 12, fontSize: 12 }}>
                {t('sys.refreshed', { time: formatTimeBare(s.now).slice(11) })}
              </Typography.Paragraph>
            </>
          );
        }}
      </QueryView>
    </Page>
  );
}
