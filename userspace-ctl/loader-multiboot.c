// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot (v1) ELF kernels: ELF32 or ELF64 PT_LOAD segments by physical
 * address, or the header's address fields with the a.out kludge flag;
 * modules page-aligned above the kernel; the information structure with
 * mem_lower/upper, cmdline, mods and mmap in lvctl's boot area.
 */
#include <elf.h>
#include <string.h>

#include "loader.h"

#define PAGE_ALIGN(x)	(((x) + 0xfffULL) & ~0xfffULL)

static u32 get_u32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_u32(u8 *p, u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u64(u8 *p, u64 v)
{
	memcpy(p, &v, sizeof(v));
}

bool multiboot_find_header(const u8 *data, size_t size, struct mb_header *h)
{
	size_t limit = size < MB_SEARCH_LEN ? size : MB_SEARCH_LEN;
	size_t off;

	for (off = 0; off + 12 <= limit; off += 4) {
		u32 magic = get_u32(data + off);
		u32 flags = get_u32(data + off + 4);
		u32 sum = get_u32(data + off + 8);

		if (magic != MB_HEADER_MAGIC || (u32)(magic + flags + sum))
			continue;
		memset(h, 0, sizeof(*h));
		h->offset = off;
		h->flags = flags;
		if ((flags & MB_FLAG_AOUT_KLUDGE) && off + 32 <= size) {
			h->header_addr = get_u32(data + off + 12);
			h->load_addr = get_u32(data + off + 16);
			h->load_end_addr = get_u32(data + off + 20);
			h->bss_end_addr = get_u32(data + off + 24);
			h->entry_addr = get_u32(data + off + 28);
		}
		return true;
	}
	return false;
}

/* A piece of the kernel: @filesz bytes from the file, zero up to @memsz. */
struct mb_segment {
	u64 paddr;
	u64 offset;
	u64 filesz;
	u64 memsz;
};

struct mb_image {
	struct mb_segment seg[32];
	int nr_seg;
	u64 entry;
};

static int add_segment(const char *path, const struct file_buf *fb,
		       const struct guest_mem *mem, struct mb_image *img,
		       u64 paddr, u64 offset, u64 filesz, u64 memsz)
{
	struct mb_segment *s;

	if (!memsz)
		return 0;
	if (img->nr_seg == 32) {
		pr_err("%s: more than 32 loadable segments", path);
		return -1;
	}
	if (filesz > memsz) {
		pr_err("%s: segment at 0x%llx: file size 0x%llx exceeds memory size 0x%llx",
		       path, (unsigned long long)paddr,
		       (unsigned long long)filesz, (unsigned long long)memsz);
		return -1;
	}
	if (offset > fb->size || filesz > fb->size - offset) {
		pr_err("%s: truncated: segment at 0x%llx needs file bytes [0x%llx, 0x%llx), the file has 0x%zx",
		       path, (unsigned long long)paddr,
		       (unsigned long long)offset,
		       (unsigned long long)(offset + filesz), fb->size);
		return -1;
	}
	if (!guest_mem_range_ok(mem, paddr, memsz)) {
		pr_err("%s: segment [0x%llx, 0x%llx) lies outside guest RAM (%llu bytes)",
		       path, (unsigned long long)paddr,
		       (unsigned long long)(paddr + memsz),
		       (unsigned long long)mem->size);
		return -1;
	}
	if (paddr < BOOT_AREA_END && BOOT_GDT < paddr + memsz) {
		pr_err("%s: segment [0x%llx, 0x%llx) overlaps lvctl's boot area [0x%llx, 0x%llx)",
		       path, (unsigned long long)paddr,
		       (unsigned long long)(paddr + memsz),
		       BOOT_GDT, BOOT_AREA_END);
		return -1;
	}
	s = &img->seg[img->nr_seg++];
	s->paddr = paddr;
	s->offset = offset;
	s->filesz = filesz;
	s->memsz = memsz;
	return 0;
}

static int parse_kludge(const char *path, const struct file_buf *fb,
			const struct guest_mem *mem, const struct mb_header *h,
			struct mb_image *img)
{
	u64 head_delta, file_off, load_len, bss_len = 0;

	if (h->offset + 32 > fb->size) {
		pr_err("%s: truncated multiboot header", path);
		return -1;
	}
	if (h->header_addr < h->load_addr ||
	    h->header_addr - h->load_addr > h->offset) {
		pr_err("%s: multiboot header_addr 0x%x and load_addr 0x%x disagree with the header's file offset 0x%x",
		       path, h->header_addr, h->load_addr, h->offset);
		return -1;
	}
	head_delta = h->header_addr - h->load_addr;
	file_off = h->offset - head_delta;
	if (h->load_end_addr) {
		if (h->load_end_addr < h->load_addr) {
			pr_err("%s: multiboot load_end_addr 0x%x is below load_addr 0x%x",
			       path, h->load_end_addr, h->load_addr);
			return -1;
		}
		load_len = h->load_end_addr - h->load_addr;
	} else {
		load_len = fb->size - file_off;
	}
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + load_len) {
			pr_err("%s: multiboot bss_end_addr 0x%x is below the loaded image",
			       path, h->bss_end_addr);
			return -1;
		}
		bss_len = h->bss_end_addr - (h->load_addr + load_len);
	}
	img->entry = h->entry_addr;
	return add_segment(path, fb, mem, img, h->load_addr, file_off,
			   load_len, load_len + bss_len);
}

/* Physical entry: e_entry, moved by the segment's paddr - vaddr if needed. */
static u64 elf_entry_paddr(u64 entry, u64 vaddr, u64 paddr, u64 memsz,
			   bool *found)
{
	if (!*found && entry >= vaddr && entry - vaddr < memsz) {
		*found = true;
		return paddr + (entry - vaddr);
	}
	return entry;
}

/* The fields of an ELF header or program header that loading needs. */
struct elf_hdr {
	u16 machine, phentsize, phnum;
	u64 entry, phoff;
};

struct elf_seg {
	u32 type;
	u64 offset, vaddr, paddr, filesz, memsz;
};

static void elf_read_hdr(bool is64, const void *p, struct elf_hdr *h)
{
	if (is64) {
		const Elf64_Ehdr *eh = p;

		*h = (struct elf_hdr){ eh->e_machine, eh->e_phentsize,
				       eh->e_phnum, eh->e_entry, eh->e_phoff };
	} else {
		const Elf32_Ehdr *eh = p;

		*h = (struct elf_hdr){ eh->e_machine, eh->e_phentsize,
				       eh->e_phnum, eh->e_entry, eh->e_phoff };
	}
}

static void elf_read_seg(bool is64, const void *p, struct elf_seg *s)
{
	if (is64) {
		Elf64_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*s = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_vaddr,
				       ph.p_paddr, ph.p_filesz, ph.p_memsz };
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*s = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_vaddr,
				       ph.p_paddr, ph.p_filesz, ph.p_memsz };
	}
}

/* ELF32 and ELF64 alike: load every PT_LOAD segment at its physical address */
static int parse_elf_class(const char *path, const struct file_buf *fb,
			   const struct guest_mem *mem, struct mb_image *img,
			   bool is64)
{
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	struct elf_hdr eh;
	struct elf_seg ph;
	bool found = false;
	u64 entry;
	int i;

	if (fb->size < ehsize) {
		pr_err("%s: truncated ELF header", path);
		return -1;
	}
	elf_read_hdr(is64, fb->data, &eh);
	if (eh.machine != EM_386 && eh.machine != EM_X86_64) {
		pr_err("%s: ELF machine %u is not x86", path, eh.machine);
		return -1;
	}
	if (eh.phentsize < phsize || !eh.phnum || eh.phoff > fb->size ||
	    (u64)eh.phnum * eh.phentsize > fb->size - eh.phoff) {
		pr_err("%s: truncated or bad ELF program headers", path);
		return -1;
	}
	entry = eh.entry;
	for (i = 0; i < eh.phnum; i++) {
		elf_read_seg(is64, fb->data + eh.phoff + (u64)i * eh.phentsize,
			     &ph);
		if (ph.type != PT_LOAD)
			continue;
		if (add_segment(path, fb, mem, img, ph.paddr, ph.offset,
				ph.filesz, ph.memsz))
			return -1;
		entry = elf_entry_paddr(entry, ph.vaddr, ph.paddr, ph.memsz,
					&found);
	}
	img->entry = entry;
	return 0;
}

static int parse_elf(const char *path, const struct file_buf *fb,
		     const struct guest_mem *mem, struct mb_image *img)
{
	const u8 *id = fb->data;

	if (fb->size < EI_NIDENT) {
		pr_err("%s: truncated ELF header", path);
		return -1;
	}
	if (id[EI_DATA] != ELFDATA2LSB) {
		pr_err("%s: not a little-endian ELF file", path);
		return -1;
	}
	if (id[EI_CLASS] == ELFCLASS32 || id[EI_CLASS] == ELFCLASS64)
		return parse_elf_class(path, fb, mem, img,
				       id[EI_CLASS] == ELFCLASS64);
	pr_err("%s: unknown ELF class %u", path, id[EI_CLASS]);
	return -1;
}

static void put_mmap(u8 *p, u64 base, u64 len, u32 type)
{
	put_u32(p, MB_MMAP_ENTRY_SIZE - 4);
	put_u64(p + 4, base);
	put_u64(p + 12, len);
	put_u32(p + 20, type);
}

/* Copy @s to *@cur in the info area; its gpa, or 0 when it does not fit. */
static u32 put_string(struct guest_mem *mem, u64 *cur, const char *s)
{
	size_t len = strlen(s) + 1;
	u64 gpa = *cur;
	u8 *p;

	if (gpa + len > MB_INFO_END)
		return 0;
	p = guest_mem_hva(mem, gpa, len);
	if (!p)
		return 0;
	memcpy(p, s, len);
	*cur += len;
	return gpa;
}

u32 multiboot_build_info(struct guest_mem *mem, const char *cmdline,
			 const struct mb_module *mods, int nr_mods)
{
	u64 low = mem->size < 0xa0000 ? mem->size : 0xa0000;
	u64 mmap_gpa = MB_INFO_ADDR + 128, mods_gpa, cur;
	u32 mmap_len = 0, str;
	u8 *info, *p;
	int i;

	info = guest_mem_hva(mem, MB_INFO_ADDR, MB_INFO_END - MB_INFO_ADDR);
	if (!info)
		return 0;
	memset(info, 0, MB_INFO_END - MB_INFO_ADDR);

	put_u32(info + MBI_MEM_LOWER, low / 1024);
	put_u32(info + MBI_MEM_UPPER,
		mem->size > SZ_1M ? (mem->size - SZ_1M) / 1024 : 0);

	p = info + (mmap_gpa - MB_INFO_ADDR);
	put_mmap(p + mmap_len, 0, low, 1);
	mmap_len += MB_MMAP_ENTRY_SIZE;
	if (mem->size > 0xa0000) {
		put_mmap(p + mmap_len, 0xa0000, 0x60000, 2);
		mmap_len += MB_MMAP_ENTRY_SIZE;
	}
	if (mem->size > SZ_1M) {
		put_mmap(p + mmap_len, SZ_1M, mem->size - SZ_1M, 1);
		mmap_len += MB_MMAP_ENTRY_SIZE;
	}
	put_u32(info + MBI_MMAP_LENGTH, mmap_len);
	put_u32(info + MBI_MMAP_ADDR, mmap_gpa);

	mods_gpa = mmap_gpa + mmap_len;
	cur = mods_gpa + (u64)nr_mods * MB_MOD_SIZE;
	if (cur > MB_INFO_END)
		return 0;
	for (i = 0; i < nr_mods; i++) {
		p = info + (mods_gpa - MB_INFO_ADDR) + i * MB_MOD_SIZE;
		str = put_string(mem, &cur, mods[i].string ? mods[i].string : "");
		if (!str)
			return 0;
		put_u32(p, mods[i].start);
		put_u32(p + 4, mods[i].end);
		put_u32(p + 8, str);
	}
	put_u32(info + MBI_MODS_COUNT, nr_mods);
	put_u32(info + MBI_MODS_ADDR, mods_gpa);

	str = put_string(mem, &cur, cmdline ? cmdline : "");
	if (!str)
		return 0;
	put_u32(info + MBI_CMDLINE, str);
	str = put_string(mem, &cur, "lvctl");
	if (!str)
		return 0;
	put_u32(info + MBI_LOADER_NAME, str);

	put_u32(info + MBI_FLAGS, MB_INFO_MEMORY | MB_INFO_CMDLINE |
		MB_INFO_MODS | MB_INFO_MMAP | MB_INFO_LOADER_NAME);
	return MB_INFO_ADDR;
}

static int load_modules(struct guest_mem *mem, const struct load_opts *opts,
			u64 kernel_end, struct mb_module *mods)
{
	u64 cur = PAGE_ALIGN(kernel_end);
	struct file_buf fb;
	int i;

	for (i = 0; i < opts->nr_modules; i++) {
		const struct load_module *m = &opts->modules[i];

		if (loader_read_file(m->path, &fb))
			return -1;
		if (!guest_mem_range_ok(mem, cur, fb.size)) {
			pr_err("%s: module of %zu bytes at 0x%llx does not fit in guest RAM",
			       m->path, fb.size, (unsigned long long)cur);
			loader_free_file(&fb);
			return -1;
		}
		memcpy(guest_mem_hva(mem, cur, fb.size), fb.data, fb.size);
		mods[i].start = cur;
		mods[i].end = cur + fb.size;
		mods[i].string = m->string ? m->string : m->path;
		cur = PAGE_ALIGN(cur + fb.size);
		loader_free_file(&fb);
	}
	return 0;
}

int multiboot_load(struct guest_mem *mem, const struct load_opts *opts,
		   const struct file_buf *fb, const struct mb_header *h,
		   struct boot_cpu *cpu)
{
	struct mb_module mods[LOADER_MAX_MODULES];
	struct mb_image img;
	u64 kernel_end = 0;
	u32 info;
	int i;

	if (h->flags & 0xffff & ~MB_FLAGS_KNOWN) {
		pr_err("%s: multiboot header asks for unsupported features (flags 0x%x)",
		       opts->path, h->flags);
		return -1;
	}
	memset(&img, 0, sizeof(img));
	if (h->flags & MB_FLAG_AOUT_KLUDGE) {
		if (parse_kludge(opts->path, fb, mem, h, &img))
			return -1;
	} else if (parse_elf(opts->path, fb, mem, &img)) {
		return -1;
	}
	if (!img.nr_seg) {
		pr_err("%s: nothing to load", opts->path);
		return -1;
	}
	if (img.entry > 0xffffffffULL || !guest_mem_range_ok(mem, img.entry, 1)) {
		pr_err("%s: entry point 0x%llx is outside guest RAM", opts->path,
		       (unsigned long long)img.entry);
		return -1;
	}
	for (i = 0; i < img.nr_seg; i++) {
		struct mb_segment *s = &img.seg[i];
		u8 *dst = guest_mem_hva(mem, s->paddr, s->memsz);

		memcpy(dst, fb->data + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		if (s->paddr + s->memsz > kernel_end)
			kernel_end = s->paddr + s->memsz;
	}
	if (load_modules(mem, opts, kernel_end, mods))
		return -1;
	info = multiboot_build_info(mem, opts->cmdline, mods,
				    opts->nr_modules);
	if (!info) {
		pr_err("%s: the command line and module strings do not fit in the multiboot area",
		       opts->path);
		return -1;
	}
	if (x86_setup_boot(mem, CPU_MODE_PROT32, img.entry, img.entry, cpu))
		return -1;
	cpu->regs.rax = MB_BOOT_MAGIC;
	cpu->regs.rbx = info;
	return 0;
}
