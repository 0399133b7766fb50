import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import {
  App as AntApp,
  Button,
  Card,
  Descriptions,
  Flex,
  Popconfirm,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { Link } from 'react-router';
import { attachPayment, errorMessage, listUnmatchedPayments, type UnmatchedPayment } from '../api';
import { Page } from '../components/Page';
import { EmptyState, ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { formatYuan } from '../money';
import { formatTime, formatTimeBare } from '../time';
import { MerchantPicker, TypeTag, useMerchantScope } from './Accounts';
import { noteWords, OrderStateTag } from './OrderDetail';

type T = ReturnType<typeof useT>;

/** "created 5 min before the payment". */
function offsetWords(t: T, ms: number): string {
  const n = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  return t(ms <= 0 ? 'pay.before' : 'pay.after', { t: t('pay.minutes', { n }) });
}

function PaymentCard(props: { p: UnmatchedPayment; onAttached: () => void }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const { p } = props;
  const attach = useMutation({
    mutationFn: (orderId: number) => attachPayment(p.id, orderId),
    onSuccess: (r) => {
      void message.success(t('pay.attached', { order: r.order_id }));
      props.onAttached();
    },
    onError: (err) => void message.error(errorMessage(err)),
  });
  return (
    <Card
      size="small"
      title={
        <Space wrap>
          <Typography.Text strong style={{ fontSize: 18 }}>
            {formatYuan(p.amount)}
          </Typography.Text>
          <TypeTag type={p.type} />
          <Typography.Text type="secondary">{p.account_name}</Typography.Text>
        </Space>
      }
      extra={<Typography.Text type="secondary">{formatTime(p.paid_at)}</Typography.Text>}
    >
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2 }}
        items={[
          {
            key: 'why',
            label: t('pay.why'),
            children: <Tag color="warning">{noteWords(t, p.match_note)}</Tag>,
            span: 2,
          },
          { key: 'payer', label: t('pay.payer'), children: p.payer || '—' },
          { key: 'source', label: t('pay.source'), children: `${p.source} · ${p.reporter_id}` },
          ...(p.memo ? [{ key: 'memo', label: t('pay.memo'), children: p.memo }] : []),
        ]}
      />
      <Typography.Title level={5}>{t('pay.candidates')}</Typography.Title>
      {p.candidates.length === 0 ? (
        <Typography.Text type="secondary">{t('pay.noCandidates')}</Typography.Text>
      ) : (
        <Table
          size="small"
          rowKey="order_id"
          pagination={false}
          dataSource={p.candidates}
          scroll={{ x: 'max-content' }}
          columns={[
            {
              title: t('ord.id'),
              key: 'order',
              render: (_, c) => (
                <Flex vertical>
                  <Link to={`/orders/${c.order_id}`}>{c.order_id}</Link>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {c.out_order_id}
                  </Typography.Text>
                </Flex>
              ),
            },
            {
              title: t('ord.realprice'),
              key: 'realprice',
              align: 'right',
              render: (_, c) => formatYuan(c.realprice),
            },
            {
              title: t('pay.difference'),
              key: 'diff',
              align: 'right',
              render: (_, c) => c.amount_difference,
            },
            {
              title: t('ord.created'),
              key: 'created',
              render: (_, c) => (
                <Flex vertical>
                  <span>{formatTimeBare(c.created_at)}</span>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {offsetWords(t, c.created_offset_ms)}
                  </Typography.Text>
                </Flex>
              ),
            },
            { title: t('ord.state'), key: 'state', render: (_, c) => <OrderStateTag state={c.state} /> },
            {
              title: t('ord.detail.actions'),
              key: 'attach',
              render: (_, c) => (
                <Popconfirm
                  title={t('pay.attachConfirm', { amount: p.amount, order: c.order_id, out: c.out_order_id })}
                  okText={t('ord.action.confirm')}
                  cancelText={t('ord.action.cancel')}
                  onConfirm={() => attach.mutate(c.order_id)}
                >
                  <Button
                    size="small"
                    type="primary"
                    loading={attach.isPending && attach.variables === c.order_id}
                  >
                    {t('pay.attach')}
                  </Button>
                </Popconfirm>
              ),
            },
          ]}
        />
      )}
    </Card>
  );
}

/**
 * The unmatched-payments inbox: money that arrived without an order the gateway could pay,
 * each with why, and the orders it could belong to; attaching one pays that order (audited).
 */
export default function Payments() {
  const t = useT();
  const qc = useQueryClient();
  const { operator, scope } = useMerchantScope();
  const query = useInfiniteQuery({
    queryKey: ['unmatched', scope],
    queryFn: ({ pageParam }) => listUnmatchedPayments(scope, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = query.data?.pages.flatMap((p) => p.payments) ?? [];
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['unmatched'] });
    void qc.invalidateQueries({ queryKey: ['orders'] });
  };
  return (
    <Page titleKey="nav.payments" extra={operator && <MerchantPicker />}>
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {t('pay.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('pay.hint')}</Typography.Paragraph>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Card>
          <EmptyState description={t('pay.empty')}>
            <Typography.Text type="secondary">{t('pay.emptyHint')}</Typography.Text>
          </EmptyState>
        </Card>
      ) : (
        <Flex vertical gap={12}>
          {rows.map((p) => (
            <PaymentCard key={p.id} p={p} onAttached={refresh} />
          ))}
          {query.hasNextPage && (
            <Flex justify="center">
              <Button loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
                {t('ord.more')}
              </Button>
            </Flex>
          )}
        </Flex>
      )}
    </Page>
  );
}
