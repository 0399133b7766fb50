import { useQuery } from '@tanstack/react-query';
import { Badge, Card, Col, Flex, List, Row, Segmented, Space, Statistic, Tag, Typography } from 'antd';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { type ReactNode, useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { type Dashboard as DashboardData, type DashboardPeriod, getDashboard } from '../api';
import { Page } from '../components/Page';
import { EmptyState, QueryView } from '../components/PageState';
import { SetupChecklist } from '../components/SetupChecklist';
import { formatDuration } from '../duration';
import { useLang, useT } from '../i18n';
import { formatYuan, parseCents } from '../money';
import { chinaDate, formatTime, formatTimeBare } from '../time';
import { MerchantPicker, useMerchantScope } from './Accounts';

// Only the parts of ECharts this chart draws: the bundle stays small.
echarts.use([BarChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

const PERIODS: DashboardPeriod[] = ['today', '7d', '30d'];

const percent = (ratio: number | null) => (ratio === null ? '—' : `${(ratio * 100).toFixed(1)}%`);

function Figure(props: { title: string; value: ReactNode; hint?: ReactNode; link?: string; warn?: boolean }) {
  const t = useT();
  return (
    <Card size="small" style={{ height: '100%' }}>
      <Statistic
        title={props.title}
        value={props.value as string}
        styles={props.warn ? { content: { color: '#cf1322' } } : undefined}
      />
      <Flex justify="space-between" align="baseline" gap={8} wrap>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {props.hint}
        </Typography.Text>
        {props.link && (
          <Link to={props.link} style={{ fontSize: 12 }}>
            {t('dash.view')}
          </Link>
        )}
      </Flex>
    </Card>
  );
}

/** Stacked bars of the amounts received per account; the tooltip shows each amount with 2 decimals. */
function AmountChart(props: { chart: DashboardData['chart'] }) {
  const t = useT();
  const lang = useLang();
  const ref = useRef<HTMLDivElement>(null);
  const { chart } = props;
  const labels = chart.buckets.map((ms) =>
    chart.unit === 'hour' ? `${formatTimeBare(ms).slice(11, 13)}:00` : chinaDate(ms).slice(5),
  );
  const names = chart.series.map((s) => (s.account_id === null ? t('dash.otherAccounts') : s.name));

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const instance = echarts.init(el, undefined, { renderer: 'canvas' });
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      instance.dispose();
    };
  }, []);

  useEffect(() => {
    const el = ref.current;
    const instance = el ? echarts.getInstanceByDom(el) : undefined;
    if (!instance) return;
    instance.setOption(
      {
        animation: false,
        grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
        legend: { type: 'scroll', top: 0 },
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          valueFormatter: (v: unknown) => formatYuan(Math.round(Number(v) * 100)),
        },
        xAxis: { type: 'category', data: labels },
        yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `¥${v}` } },
        series: chart.series.map((s, i) => ({
          type: 'bar',
          stack: 'amount',
          name: names[i],
          // The axis needs numbers: cents parsed by the money helper, then yuan.
          data: s.amounts.map((a) => (parseCents(a) ?? 0) / 100),
        })),
      },
      { notMerge: true },
    );
    // `labels` and `names` follow from `chart` and the language.
  }, [chart, lang]);

  const summary = chart.series
    .map((s, i) => {
      const cents = s.amounts.reduce((sum, a) => sum + (parseCents(a) ?? 0), 0);
      return `${names[i]} ${formatYuan(cents)}`;
    })
    .join(', ');
  return (
    <div
      ref={ref}
      role="img"
      aria-label={t('dash.chartLabel', { summary })}
      style={{ width: '100%', height: 300 }}
    />
  );
}

function Figures(props: { d: DashboardData; scopeQuery: string }) {
  const t = useT();
  const { totals, monitors, failing } = props.d;
  const n = totals.notifications;
  const q = props.scopeQuery;
  const cell = (node: ReactNode, key: string) => (
    <Col xs={12} md={8} xl={6} key={key}>
      {node}
    </Col>
  );
  return (
    <Row gutter={[12, 12]} style={{ marginBottom: 16 }}>
      {cell(<Figure title={t('dash.received')} value={formatYuan(totals.received)} />, 'received')}
      {cell(
        <Figure
          title={t('dash.paidOrders')}
          value={String(totals.paid_orders)}
          hint={t('dash.paidOf', { n: totals.created_orders })}
          link={`/orders${q}`}
        />,
        'paid',
      )}
      {cell(
        <Figure
          title={t('dash.conversion')}
          value={percent(totals.conversion)}
          hint={t('dash.conversionHint')}
        />,
        'conversion',
      )}
      {cell(
        <Figure
          title={t('dash.medianPay')}
          value={formatDuration(totals.median_pay_ms)}
          hint={t('dash.medianPayHint')}
        />,
        'median',
      )}
      {cell(
        <Figure title={t('dash.late')} value={String(totals.late_payments)} hint={t('dash.lateHint')} />,
        'late',
      )}
      {cell(
        <Figure
          title={t('dash.unmatched')}
          value={String(totals.unmatched_payments)}
          hint={t('dash.unmatchedHint', { amount: formatYuan(totals.unmatched_amount) })}
          link={`/payments${q}`}
          warn={totals.unmatched_payments > 0}
        />,
        'unmatched',
      )}
      {cell(
        <Figure
          title={t('dash.notifyRate')}
          value={percent(n.success_rate)}
          hint={t('dash.notifyCounts', { ok: n.delivered, failed: n.failed, pending: n.pending })}
        />,
        'notify',
      )}
      {cell(
        <Figure
          title={t('dash.monitors')}
          value={t('dash.monitorsOf', { online: monitors.online, total: monitors.total })}
          link={`/accounts${q}`}
          warn={monitors.total > 0 && monitors.online < monitors.total}
        />,
        'monitors',
      )}
      {cell(
        <Figure
          title={t('dash.failingNow')}
          value={String(failing.count)}
          link={`/notifications${q}`}
          warn={failing.count > 0}
        />,
        'failing',
      )}
    </Row>
  );
}

function Lists(props: { d: DashboardData; operator: boolean; scopeQuery: string }) {
  const t = useT();
  const offline = props.d.monitors.accounts.filter((a) => !a.online);
  return (
    <Row gutter={[12, 12]}>
      <Col xs={24} lg={12}>
        <Card size="small" title={t('dash.failingTitle')}>
          {props.d.failing.latest.length === 0 ? (
            <EmptyState description={t('dash.noFailing')} />
          ) : (
            <List
              size="small"
              dataSource={props.d.failing.latest}
              renderItem={(f) => (
                <List.Item>
                  <Flex vertical gap={2} style={{ minWidth: 0 }}>
                    <Space size={6} wrap>
                      <Link to={`/notifications${props.scopeQuery}`}>
                        {t('dash.order', { id: f.order_id })}
                      </Link>
                      <Typography.Text type="secondary">{f.out_order_id}</Typography.Text>
                      {props.operator && <Tag>#{f.merchant_id}</Tag>}
                    </Space>
                    <Typography.Text
                      type="danger"
                      ellipsis={{ tooltip: f.last_error }}
                      style={{ maxWidth: '100%' }}
                    >
                      {f.last_error || '—'}
                    </Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('dash.attempts', { n: f.attempts })} ·{' '}
                      {f.next_attempt_at === null
                        ? t('dash.givenUp')
                        : t('dash.nextAttempt', { time: formatTime(f.next_attempt_at) })}
                    </Typography.Text>
                  </Flex>
                </List.Item>
              )}
            />
          )}
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card size="small" title={t('dash.offlineTitle')}>
          {props.d.monitors.total === 0 ? (
            <EmptyState description={t('dash.noAccounts')} />
          ) : offline.length === 0 ? (
            <EmptyState description={t('dash.allOnline')} />
          ) : (
            <List
              size="small"
              dataSource={offline}
              renderItem={(a) => (
                <List.Item>
                  <Flex justify="space-between" gap={8} wrap style={{ width: '100%' }}>
                    <Space size={6}>
                      <Badge status="default" />
                      <Link to={`/accounts/${a.id}`}>{a.name}</Link>
                    </Space>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {a.last_heartbeat_at === null
                        ? t('dash.neverSeen')
                        : t('dash.lastSeen', { time: formatTime(a.last_heartbeat_at) })}
                    </Typography.Text>
                  </Flex>
                </List.Item>
              )}
            />
          )}
        </Card>
      </Col>
    </Row>
  );
}

/**
 * The home page: the setup checklist while a merchant is not set up, then today's, the last 7
 * or 30 business days' figures (test orders left out), the amounts per hour or day and account,
 * monitors offline and notifications failing now. An operator sees every merchant, or picks one.
 */
export default function Dashboard() {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const { operator, merchantId, scope } = useMerchantScope();
  const wanted = params.get('period') as DashboardPeriod | null;
  const period: DashboardPeriod = wanted && PERIODS.includes(wanted) ? wanted : 'today';
  const query = useQuery({
    queryKey: ['dashboard', period, merchantId ?? 'all'],
    queryFn: () => getDashboard(scope, period),
    refetchInterval: 30_000,
  });
  const scopeQuery = merchantId === undefined ? '' : `?merchant_id=${merchantId}`;
  const setPeriod = (p: DashboardPeriod) => {
    const next = new URLSearchParams(params);
    if (p === 'today') next.delete('period');
    else next.set('period', p);
    setParams(next, { replace: true });
  };
  return (
    <>
      <SetupChecklist />
      <Page
        titleKey="nav.dashboard"
        extra={
          <Space wrap>
            {operator && <MerchantPicker />}
            <Segmented<DashboardPeriod>
              aria-label={t('dash.period')}
              value={period}
              onChange={setPeriod}
              options={PERIODS.map((p) => ({ value: p, label: t(`dash.period.${p}`) }))}
            />
          </Space>
        }
      >
        <QueryView query={query}>
          {(d) => (
            <>
              <Typography.Paragraph type="secondary" style={{ marginTop: -8 }}>
                {operator && merchantId === undefined ? `${t('dash.allMerchants')} · ` : ''}
                {t('dash.range', { from: formatTimeBare(d.from).slice(0, 16) })}
              </Typography.Paragraph>
              <Figures d={d} scopeQuery={scopeQuery} />
              <Card
                size="small"
                title={
                  <Space size={6} wrap>
                    {t('dash.chartTitle')}
                    <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
                      {t(d.chart.unit === 'hour' ? 'dash.chartHour' : 'dash.chartDay')}
                    </Typography.Text>
                  </Space>
                }
                style={{ marginBottom: 16 }}
              >
                {d.chart.series.length === 0 ? (
                  <EmptyState description={t('dash.chartEmpty')} />
                ) : (
                  <AmountChart chart={d.chart} />
                )}
              </Card>
              <Lists d={d} operator={operator} scopeQuery={scopeQuery} />
            </>
          )}
        </QueryView>
      </Page>
    </>
  );
}
