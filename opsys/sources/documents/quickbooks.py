"""QuickBooks Online invoices as CSV: the invoice import/export sheet (InvoiceNo, Customer, ItemRate ...,
with or without spaces) and the Sales by Customer Detail report (Num, Product/Service, Qty, Sales Price)."""

from __future__ import annotations

from opsys.sources.documents.spec import DocumentSpec, register

INVOICES = DocumentSpec(
    tool="quickbooks", kind="invoice", label="QuickBooks Online invoice export",
    signature=("InvoiceNo", "ItemRate", "ItemAmount", "ItemQuantity", "ItemDescription", "Item(Product/Service)",
               "Item Rate", "Item Amount", "Item Quantity", "Item Description", "Item (Product/Service)",
               "Product/Service", "Sales Price", "Memo/Description"),
    columns={
        "number": ("InvoiceNo", "Invoice number", "Invoice No", "Num", "RefNumber", "No."),
        "client": ("Customer", "Customer full name", "Customer:Job"),
        "project": ("Project", "Job", "Class"),
        "issued": ("InvoiceDate", "Invoice date", "Date", "TxnDate"),
        "currency": ("Currency", "Currency Code"),
        "item": ("Item(Product/Service)", "Item (Product/Service)", "Product/Service", "Item"),
        "description": ("ItemDescription", "Item Description", "Memo/Description", "Description"),
        "quantity": ("ItemQuantity", "Item Quantity", "Qty", "Quantity"),
        "unit": ("Unit", "UOM"),
        "unit_price": ("ItemRate", "Item Rate", "Sales Price", "Rate"),
        "amount": ("ItemAmount", "Item Amount", "Amount"),
        "line_tax": ("ItemTaxAmount", "Item Tax Amount"),
        "line_tax_rate": ("TaxRate", "Tax Rate", "Item tax code", "ItemTaxCode"),
        "subtotal": ("Subtotal", "SubTotal"),
        "discount": ("Discount Amount", "DiscountAmount"),
        "tax": ("TaxAmount", "Tax Amount", "Total Tax", "Sales Tax"),
        "total": ("Total", "Invoice Total", "Total Amount"),
    },
    required=("number", "amount"),
    fix="in QuickBooks Online export the invoices (Sales > Invoices > Export, or the Sales by Customer Detail "
        "report) as CSV with the invoice number, item quantity, rate and amount columns",
)

register(INVOICES)
