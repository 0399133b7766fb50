import { DownloadOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import {
  Button,
  Card,
  DatePicker,
  Drawer,
  Flex,
  Form,
  Grid,
  Input,
  Select,
  Space,
  Table,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import {
  listAccounts,
  listOrders,
  type MerchantScope,
  type OrderFilters,
  type OrderRow,
  type OrderState,
  ordersCsvUrl,
  type PaymentType,
} from '../api';
import { Page } from '../components/Page';
import { EmptyState, ErrorState, Loading } from '../components/PageState';
import { useLang, useT } from '../i18n';
import { formatYuan, parsePositiveCents } from '../money';
import { chinaDate, chinaDayStart, formatTimeBare } from '../time';
import { MerchantPicker, TypeTag, useMerchantScope } from './Accounts';
import { NotifyTag, OrderDetailView, OrderMarks, OrderStateTag } from './OrderDetail';

const PAGE = 50;

interface FilterForm {
  state?: OrderState;
  type?: PaymentType;
  account_id?: number;
  out_order_id?: string;
  paid_amount?: string;
  created?: [Dayjs | null, Dayjs | null] | null;
}

const DAY_MS = 86_400_000;

/** The form's values as the API's filters: China-time days become [00:00, next 00:00). */
function toFilters(v: FilterForm, scope: MerchantScope): OrderFilters {
  const from = v.created?.[0] ? chinaDayStart(v.created[0].format('YYYY-MM-DD')) : null;
  const to = v.created?.[1] ? chinaDayStart(v.created[1].format('YYYY-MM-DD')) : null;
  return {
    ...scope,
    state: v.state,
    type: v.type,
    account_id: v.account_id,
    out_order_id: v.out_order_id?.trim() || undefined,
    paid_amount: v.paid_amount?.trim() || undefined,
    created_from: from ?? undefined,
    created_before: to === null ? undefined : to + DAY_MS,
  };
}

function FilterBar(props: {
  scope: MerchantScope;
  accountsEnabled: boolean;
  onSearch: (f: FilterForm) => void;
}) {
  const t = useT();
  const [form] = Form.useForm<FilterForm>();
  const accounts = useQuery({
    queryKey: ['accounts', props.scope],
    queryFn: () => listAccounts(props.scope),
    enabled: props.accountsEnabled,
  });
  return (
    <Form<FilterForm>
      form={form}
      layout="vertical"
      onFinish={props.onSearch}
      // Two fields a row on a phone, as many as fit on a desktop.
      style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(150px, 1fr))', columnGap: 12 }}
    >
      <Form.Item label={t('ord.state')} name="state">
        <Select
          allowClear
          placeholder={t('ord.state.any')}
          options={(['unpaid', 'paid', 'expired'] as const).map((s) => ({
            value: s,
            label: t(`ord.state.${s}`),
          }))}
        />
      </Form.Item>
      <Form.Item label={t('ord.type')} name="type">
        <Select
          allowClear
          placeholder={t('ord.type.any')}
          options={(['alipay', 'wechat'] as const).map((s) => ({ value: s, label: t(`acc.type.${s}`) }))}
        />
      </Form.Item>
      <Form.Item label={t('ord.account')} name="account_id">
        <Select
          allowClear
          placeholder={t('ord.account.any')}
          disabled={!props.accountsEnabled}
          loading={accounts.isFetching}
          options={(accounts.data?.accounts ?? []).map((a) => ({ value: a.id, label: a.name }))}
        />
      </Form.Item>
      <Form.Item label={t('ord.outOrderId')} name="out_order_id">
        <Input allowClear maxLength={200} />
      </Form.Item>
      <Form.Item
        label={t('ord.paidAmount')}
        name="paid_amount"
        tooltip={t('ord.paidAmountHint')}
        rules={[
          {
            validator: (_, v: string | undefined) =>
              !v || v.trim() === '' || parsePositiveCents(v) !== null
                ? Promise.resolve()
                : Promise.reject(new Error(t('ord.paidAmountInvalid'))),
          },
        ]}
      >
        <Input allowClear prefix="¥" inputMode="decimal" placeholder="9.99" />
      </Form.Item>
      <Form.Item label={t('ord.dateRange')} name="created" style={{ gridColumn: 'span 2' }}>
        <DatePicker.RangePicker style={{ width: '100%' }} allowEmpty={[true, true]} />
      </Form.Item>
      <Form.Item label=" " colon={false}>
        <Space>
          <Button type="primary" htmlType="submit">
            {t('ord.search')}
          </Button>
          <Button
            onClick={() => {
              form.resetFields();
              props.onSearch({});
            }}
          >
            {t('ord.reset')}
          </Button>
        </Space>
      </Form.Item>
    </Form>
  );
}

/**
 * The orders list: server-side filters (state, type, account, shop order number, paid amount,
 * creation date), keyset pages ("Load more"), the CSV export of the filtered list, and each
 * order's history in a drawer.
 */
export default function Orders() {
  const t = useT();
  const lang = useLang();
  const screens = Grid.useBreakpoint();
  const phone = screens.md === undefined ? window.innerWidth < 768 : !screens.md;
  const { operator, merchantId, scope } = useMerchantScope();
  const [form, setForm] = useState<FilterForm>({});
  const [open, setOpen] = useState<number | null>(null);
  const filters = toFilters(form, scope);
  const query = useInfiniteQuery({
    queryKey: ['orders', filters],
    queryFn: ({ pageParam }) => listOrders(filters, pageParam, PAGE),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = query.data?.pages.flatMap((p) => p.orders) ?? [];
  const accountsEnabled = !operator || merchantId !== undefined;

  return (
    <Page
      titleKey="nav.orders"
      extra={
        <Space wrap>
          {operator && <MerchantPicker />}
          <Button icon={<DownloadOutlined aria-hidden />} href={ordersCsvUrl(filters, lang)} download>
            {t('ord.exportCsv')}
          </Button>
        </Space>
      }
    >
      <Card size="small" style={{ marginBottom: 16 }}>
        <FilterBar
          key={merchantId ?? 'all'}
          scope={scope}
          accountsEnabled={accountsEnabled}
          onSearch={setForm}
        />
      </Card>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Card>
          <EmptyState description={t('ord.empty')}>
            <Typography.Text type="secondary">{t('ord.emptyHint')}</Typography.Text>
          </EmptyState>
        </Card>
      ) : (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<OrderRow>
            rowKey="id"
            dataSource={rows}
            pagination={false}
            size={phone ? 'small' : 'middle'}
            scroll={{ x: 'max-content' }}
            onRow={(o) => ({ onClick: () => setOpen(o.id), style: { cursor: 'pointer' } })}
            columns={[
              {
                title: t('ord.id'),
                key: 'id',
                render: (_, o) => (
                  <Flex vertical gap={2}>
                    <Button
                      type="link"
                      style={{ padding: 0, height: 'auto' }}
                      onClick={(e) => {
                        e.stopPropagation();
                        setOpen(o.id);
                      }}
                    >
                      {o.id}
                    </Button>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {o.out_order_id}
                    </Typography.Text>
                    <div>
                      <OrderMarks order={o} />
                    </div>
                  </Flex>
                ),
              },
              {
                title: t('ord.created'),
                key: 'created',
                render: (_, o) => (
                  <span title={chinaDate(o.created_at)} style={{ whiteSpace: 'nowrap' }}>
                    {formatTimeBare(o.created_at)}
                  </span>
                ),
              },
              { title: t('ord.state'), key: 'state', render: (_, o) => <OrderStateTag state={o.state} /> },
              { title: t('ord.amount'), key: 'price', align: 'right', render: (_, o) => formatYuan(o.price) },
              {
                title: t('ord.realprice'),
                key: 'realprice',
                align: 'right',
                responsive: ['md'],
                render: (_, o) => formatYuan(o.realprice),
              },
              {
                title: t('ord.paid'),
                key: 'paid',
                align: 'right',
                render: (_, o) => formatYuan(o.paid_amount),
              },
              {
                title: t('ord.account'),
                key: 'account',
                responsive: ['lg'],
                render: (_, o) => (
                  <Space size={4}>
                    <TypeTag type={o.type} />
                    {o.account_name}
                  </Space>
                ),
              },
              {
                title: t('ord.notify'),
                key: 'notify',
                responsive: ['md'],
                render: (_, o) => <NotifyTag state={o.notify_state} />,
              },
              ...(operator
                ? [
                    {
                      title: t('ord.merchant'),
                      key: 'merchant',
                      responsive: ['xl' as const],
                      dataIndex: 'merchant_id',
                    },
                  ]
                : []),
            ]}
          />
          <Flex justify="space-between" align="center" style={{ padding: 12 }} wrap gap={8}>
            <Typography.Text type="secondary">{t('ord.shown', { n: rows.length })}</Typography.Text>
            {query.hasNextPage && (
              <Button loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
                {t('ord.more')}
              </Button>
            )}
          </Flex>
        </Card>
      )}
      <Drawer
        open={open !== null}
        onClose={() => setOpen(null)}
        size={phone ? '100%' : 760}
        title={open === null ? '' : t('ord.detail.title', { id: open })}
        destroyOnHidden
      >
        {open !== null && <OrderDetailView id={open} />}
      </Drawer>
    </Page>
  );
}
